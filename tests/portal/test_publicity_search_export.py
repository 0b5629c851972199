"""双公示: a keyword (name or code) on top of the filters, and the Excel export of what is listed."""

from __future__ import annotations

from io import BytesIO

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.portal.seed import COMPANY, LICENCE_DOC, PENALTY_DOC, PERSON_PENALTY_DOC, City
from xinyong.portal.service import neutralise_cell


def test_keyword_search_by_name_and_code(client: TestClient, city: City) -> None:
    html = client.get("/publicity", params={"q": "鑫达机械"}).text
    assert "共 2 条公示信息" in html and PENALTY_DOC in html
    assert 'value="鑫达机械"' in html  # the keyword stays in the form
    html = client.get("/publicity", params={"q": city.company_uscc[:10]}).text
    assert PENALTY_DOC in html
    assert "共 0 条公示信息" in client.get("/publicity", params={"q": "无此单位名称"}).text
    # combined with a filter, and kept by the pager and the export link
    html = client.get("/publicity", params={"q": "鑫达机械", "item": "administrative_penalty"}).text
    assert PENALTY_DOC in html and LICENCE_DOC not in html
    assert "/publicity/export.xlsx?q=" in html and "item=administrative_penalty" in html
    # too short: said in words, the list unfiltered
    html = client.get("/publicity", params={"q": "鑫"}).text
    assert "请输入至少 2 个字符" in html and "共 2 条公示信息" in html


def test_export_is_what_the_page_lists(client: TestClient, city: City) -> None:
    response = client.get("/publicity/export.xlsx", params={"q": "鑫达机械"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["决定日期", "行政相对人", "统一社会信用代码", "类别", "决定文书号"]
    docs = {r[4] for r in rows[1:]}
    assert docs == {PENALTY_DOC, LICENCE_DOC}
    assert all(r[1] == COMPANY and r[2] == city.company_uscc for r in rows[1:])
    assert PERSON_PENALTY_DOC not in str(rows)  # a person's penalty is never public, nor exported
    only = client.get("/publicity/export.xlsx", params={"item": "administrative_penalty"})
    sheet = load_workbook(BytesIO(only.content)).active
    assert sheet is not None
    assert [r[4].value for r in sheet.iter_rows(min_row=2)] == [PENALTY_DOC]


def test_formula_like_cells_are_neutralised() -> None:
    for text in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert neutralise_cell(text) == "'" + text
    assert neutralise_cell("台州市某公司") == "台州市某公司"
    assert neutralise_cell(5) == 5
