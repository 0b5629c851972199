"""HTML → PDF for every document the platform issues (credit reports, monitoring reports…).

One function, :func:`render_pdf`: WeasyPrint lays the HTML out on A4 pages with page numbers
("第 N 页 / 共 M 页") in the bottom margin and, when asked, a diagonal watermark on every page.
Chinese text uses the Noto CJK fonts of Debian's ``fonts-noto-cjk`` (found through fontconfig);
WeasyPrint embeds the subset of glyphs a document uses, so the PDF shows the same text on a
machine without those fonts. Nothing is fetched from the network: a URL that is not ``data:``
or a local file is refused (documents must render offline).
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from functools import lru_cache
from typing import Any

from xinyong.core.errors import DomainError

# The families a document may name; the page stylesheet puts them first for every element.
CJK_SANS = "Noto Sans CJK SC"
CJK_SERIF = "Noto Serif CJK SC"

# Page box, numbers and watermark. Documents style their own content; these rules only set what
# every issued document shares. The watermark is a fixed element: WeasyPrint repeats fixed
# boxes on every page.
PAGE_CSS = f"""
@page {{
  size: A4;
  margin: 20mm 18mm 22mm 18mm;
  @bottom-center {{
    content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
    font-family: "{CJK_SANS}", sans-serif;
    font-size: 8.5pt;
    color: #555;
  }}
}}
html {{ font-family: "{CJK_SANS}", "{CJK_SERIF}", sans-serif; font-size: 10.5pt; }}
.xy-watermark {{
  position: fixed;
  top: 120mm;
  left: -40mm;
  width: 254mm;
  text-align: center;
  white-space: nowrap;
  transform: rotate(-30deg);
  font-size: 24pt;
  font-weight: bold;
  color: rgba(160, 160, 160, 0.18);
  z-index: -1;
}}
"""

_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


class PdfRenderError(DomainError):
    status_code = 500
    code = "pdf_render_failed"


@lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Whether fontconfig knows a Noto CJK font (Debian ``fonts-noto-cjk``)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Noto Sans CJK" in out or "Noto Serif CJK" in out


def with_watermark(html: str, text: str) -> str:
    """``html`` with a watermark element right after ``<body>`` (or at the start)."""
    mark = f'<div class="xy-watermark" aria-hidden="true">{html_lib.escape(text)}</div>'
    match = _BODY_OPEN.search(html)
    if match is None:
        return mark + html
    return html[: match.end()] + mark + html[match.end() :]


def render_pdf(html: str, *, base_url: str | None = None, watermark: str | None = None) -> bytes:
    """The PDF of ``html``: A4, page numbers, embedded CJK fonts, and ``watermark`` (e.g. a report
    number) across every page when given. ``base_url`` resolves relative ``file:`` links (images,
    stylesheets); remote URLs are refused."""
    # WeasyPrint loads Pango and its CSS machinery on import (a third of a second): only when a
    # PDF is wanted, not at every CLI start-up.
    import weasyprint

    if not cjk_font_available():
        raise PdfRenderError(
            "No Noto CJK font is installed (Debian package fonts-noto-cjk)",
            "未安装中文字体（Debian 软件包 fonts-noto-cjk），无法生成 PDF",
            rule="fonts-noto-cjk",
        )
    source = with_watermark(html, watermark) if watermark else html
    document = weasyprint.HTML(string=source, base_url=base_url, url_fetcher=_offline_fetcher())
    pdf = document.write_pdf(stylesheets=[_page_stylesheet()])
    if not isinstance(pdf, bytes):  # write_pdf returns bytes when given no target
        raise PdfRenderError("WeasyPrint returned no PDF", "PDF 生成失败")
    return pdf


def _offline_fetcher() -> Any:
    """WeasyPrint's fetcher limited to ``data:`` and ``file:`` URLs: no network, ever (a refused
    resource is skipped with a warning)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data", "file"))


@lru_cache(maxsize=1)
def _page_stylesheet() -> Any:
    import weasyprint

    return weasyprint.CSS(string=PAGE_CSS)
