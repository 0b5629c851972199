"""The monthly monitoring report: every indicator's chart (the same PNG as the console's export)
and numbers, as HTML rendered to PDF by ``core.pdf`` (the renderer of every issued document)."""

from __future__ import annotations

import base64
from datetime import date
from html import escape

from xinyong.core import months
from xinyong.core.clock import today_china
from xinyong.core.pdf import render_pdf
from xinyong.monitoring.compute import IndicatorResult, Period
from xinyong.monitoring.png import chart_png

_CSS = """
h1 { font-size: 20pt; margin: 0 0 4pt; }
.meta { color: #4a5260; margin-bottom: 14pt; }
section { page-break-inside: avoid; margin-bottom: 14pt; }
h2 { font-size: 13pt; margin: 0 0 4pt; }
img { width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border: 0.5pt solid #c9ced6; padding: 2pt 4pt; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #7a4b00; }
.src { color: #4a5260; font-size: 8pt; }
"""


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v * 100:.2f}%" if unit == "%" else f"{v:,.4g}"


def scope_label(p: Period, district_name: str | None) -> str:
    where = district_name or (p.district or "全市")
    return f"{where} · {months.key(p.first)} 至 {months.key(p.month)}"


def _section(r: IndicatorResult, subtitle: str) -> str:
    parts = [f"<section><h2>{escape(r.name_zh)}</h2>"]
    if not r.available:
        parts.append(f'<p class="note">{escape(r.note)}</p></section>')
        return "".join(parts)
    png = base64.b64encode(chart_png(r, subtitle)).decode()
    parts.append(f'<img src="data:image/png;base64,{png}" alt="{escape(r.name_zh)}">')
    if r.note:
        parts.append(f'<p class="note">{escape(r.note)}</p>')
    if r.series and r.shape == "by_category":
        head = "".join(f"<th>{escape(s.name)}</th>" for s in r.series)
        body = "".join(
            f"<tr><td>{escape(c)}</td>{''.join(f'<td>{_fmt(s.values[i], r.unit)}</td>' for s in r.series)}</tr>"
            for i, c in enumerate(r.categories)
        )
        parts.append(f"<table><thead><tr><th>类别</th>{head}</tr></thead><tbody>{body}</tbody></table>")
    value = _fmt(r.value, r.unit)
    target = ""
    if r.meets_target is not None:
        target = "，达标" if r.meets_target else "，未达标"
    label = "本月" if r.shape in ("series", "rate_series") else "当前"
    parts.append(f"<p>{label}：{value}{escape(r.unit if r.unit != '%' else '')}{target}</p>")
    parts.append(f'<p class="src">来源：{escape(r.source)}</p></section>')
    return "".join(parts)


def report_html(
    results: list[IndicatorResult], p: Period, district_name: str | None, made_on: date | None = None
) -> str:
    subtitle = scope_label(p, district_name)
    sections = "".join(_section(r, subtitle) for r in results)
    day = made_on or today_china()
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>城市信用状况监测月报</title>'
        f"<style>{_CSS}</style></head><body>"
        f"<h1>城市信用状况监测月报（{months.key(p.month)}）</h1>"
        f'<p class="meta">{escape(subtitle)} · 生成日期 {day.isoformat()}</p>{sections}</body></html>'
    )


def report_pdf(results: list[IndicatorResult], p: Period, district_name: str | None) -> bytes:
    return render_pdf(report_html(results, p, district_name))
