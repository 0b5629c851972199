"""core.pdf: A4 pages, page numbers, embedded CJK font, watermark on every page, offline only."""

from __future__ import annotations

import io

import pypdfium2
from pyhanko.pdf_utils.reader import PdfFileReader

from xinyong.core.pdf import render_pdf, with_watermark


def test_render_pdf_is_a4_with_embedded_cjk_font_page_numbers_and_watermark() -> None:
    body = "".join(f"<p>第{i}段：台州市公共信用信息报告</p>" for i in range(120))
    pdf = render_pdf(f"<html><body><h1>公共信用信息报告</h1>{body}</body></html>", watermark="XY-0001")
    doc = pypdfium2.PdfDocument(pdf)
    pages = len(doc)
    assert pages >= 2
    for i in range(pages):
        width, height = doc[i].get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        text = doc[i].get_textpage().get_text_range()
        assert f"第 {i + 1} 页 / 共 {pages} 页" in text
        assert "XY-0001" in text
    assert "公共信用信息报告" in doc[0].get_textpage().get_text_range()
    # The CJK font travels inside the file (a subset), so any reader shows the Chinese text.
    reader = PdfFileReader(io.BytesIO(pdf))
    fonts = reader.root["/Pages"]["/Kids"][0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        assert "Noto-Sans-CJK-SC" in str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"]
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor or "/FontFile" in descriptor


def test_watermark_goes_after_body_and_is_escaped() -> None:
    out = with_watermark('<html><body class="x"><p>a</p></body></html>', "<N1>")
    assert out.index("xy-watermark") > out.index('<body class="x">')
    assert "&lt;N1&gt;" in out
    assert with_watermark("<p>片段</p>", "W").startswith('<div class="xy-watermark"')


def test_remote_urls_are_not_fetched() -> None:
    # The image is refused (WeasyPrint skips it): the PDF still renders, offline.
    pdf = render_pdf('<html><body><img src="http://203.0.113.1/x.png"><p>离线</p></body></html>')
    assert "离线" in pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
