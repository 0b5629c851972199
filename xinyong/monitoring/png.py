"""Charts as PNG, drawn on the server with Pillow (no browser, no network): a bar chart of an
indicator's categories or months, one colour per series, its target as a dashed line. Chinese
labels use Debian's Noto CJK font (``fonts-noto-cjk``, found through fontconfig)."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from xinyong.monitoring.compute import IndicatorResult, SeriesData

COLORS = [
    (18, 87, 168),
    (179, 38, 30),
    (29, 107, 53),
    (122, 75, 0),
    (107, 79, 160),
    (0, 120, 130),
    (196, 110, 20),
    (90, 98, 112),
]
WIDTH, HEIGHT = 1200, 600
_MARGIN_L, _MARGIN_R, _MARGIN_T, _MARGIN_B = 90, 30, 80, 120

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if "CJK" in out else None


def _font(size: int) -> Font:
    path = _font_path()
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _scale(result: IndicatorResult) -> tuple[float, float]:
    """(factor, top): rates are drawn in percent."""
    factor = 100.0 if result.unit == "%" else 1.0
    values = [v * factor for s in result.series for v in s.values if v is not None]
    targets = [t * factor for t in (result.target_min, result.target_max) if t is not None]
    top = max([*values, *targets, 0.0])
    return factor, _nice(top * 1.05) if top > 0 else 1.0


def _nice(x: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at least ``x``."""
    k = 10 ** math.floor(math.log10(x))
    return next(m * k for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * k >= x)


def chart_png(result: IndicatorResult, subtitle: str = "") -> bytes:
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    title_font, font, small = _font(26), _font(16), _font(13)
    draw.text((_MARGIN_L, 18), result.name_zh, fill=(27, 31, 36), font=title_font)
    if subtitle:
        draw.text((_MARGIN_L, 52), subtitle, fill=(74, 82, 96), font=small)
    x0, y0, x1, y1 = _MARGIN_L, _MARGIN_T, WIDTH - _MARGIN_R, HEIGHT - _MARGIN_B
    factor, top = _scale(result)
    unit = "%" if result.unit == "%" else result.unit
    for k in range(6):  # gridlines and the value axis
        y = y1 - (y1 - y0) * k / 5
        draw.line([(x0, y), (x1, y)], fill=(227, 231, 237))
        draw.text((8, y - 8), f"{top * k / 5:,.6g}", fill=(74, 82, 96), font=small)
    draw.text((8, y0 - 28), unit, fill=(74, 82, 96), font=small)
    cats = result.categories or ([result.name_zh] if result.value is not None else [])
    series = result.series
    if result.value is not None and not series:  # a scalar or rate: one bar
        series = [SeriesData(result.name_zh, [result.value])]
    n, m = max(len(cats), 1), max(len(series), 1)
    slot = (x1 - x0) / n
    bar = max(2.0, slot * 0.8 / m)
    for si, s in enumerate(series):
        color = COLORS[si % len(COLORS)]
        for ci, v in enumerate(s.values):
            if v is None:
                continue
            h = (y1 - y0) * (v * factor) / top
            left = x0 + ci * slot + slot * 0.1 + si * bar
            draw.rectangle([(left, y1 - h), (left + bar - 1, y1)], fill=color)
    step = max(1, math.ceil(n / 12))  # at most a dozen labels: month labels never overlap
    for ci, c in enumerate(cats):
        if ci % step:
            continue
        label = c if len(c) <= 8 else c[:7] + "…"
        x = x0 + ci * slot + slot / 2
        draw.text((x, y1 + 8), label, fill=(74, 82, 96), font=small, anchor="ma")
    for t, name in ((result.target_min, "目标下限"), (result.target_max, "目标上限")):
        if t is None:
            continue
        y = y1 - (y1 - y0) * (t * factor) / top
        for xs in range(int(x0), int(x1), 16):
            draw.line([(xs, y), (xs + 8, y)], fill=(179, 38, 30), width=2)
        draw.text((x1 - 90, y - 20), name, fill=(179, 38, 30), font=small)
    lx = x0
    for si, s in enumerate(series if len(series) > 1 else []):  # the legend
        color = COLORS[si % len(COLORS)]
        draw.rectangle([(lx, HEIGHT - 40), (lx + 14, HEIGHT - 26)], fill=color)
        draw.text((lx + 20, HEIGHT - 42), s.name, fill=(27, 31, 36), font=font)
        lx += 40 + int(draw.textlength(s.name, font=font))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
