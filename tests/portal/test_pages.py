"""The public site as a person reads it (no JavaScript): Chinese pages, search, a subject's public
information with its source departments, 双公示 browsing, the catalog, the 404 page, privacy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.portal.seed import (
    COMPANY,
    COMPANY_FORMER,
    ECOLOGY,
    LICENCE_DOC,
    MARKET,
    PENALTY_DOC,
    PERSON,
    PERSON_PENALTY_DOC,
    SHOP,
    TRADER,
    City,
)
from xinyong.portal import service


def _html(client: TestClient, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def test_home_is_in_chinese_with_search_and_stats(client: TestClient, city: City) -> None:
    html = _html(client, "/")
    assert '<html lang="zh-CN">' in html
    assert "公共信用信息平台" in html
    assert 'role="search"' in html and 'name="q"' in html
    assert '<label class="search-label" for="q">查询信用主体</label>' in html
    # Stats come from the services: one licence and one company penalty in publicity (the
    # natural person's penalty is not public), two providers.
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>([\d,]+)</dd>", html))
    assert stats["公示中的行政许可"] == "1"
    assert stats["公示中的行政处罚"] == "1"
    assert stats["信息提供单位"] == "2"


def test_search_by_name_fragment_lists_subjects_with_key_facts(client: TestClient, city: City) -> None:
    html = _html(client, "/search?q=鑫达")
    assert "共找到 4 个信用主体" not in html  # the natural person is not named 鑫达
    assert "共找到 3 个信用主体" in html
    for name in (COMPANY, TRADER, SHOP):
        assert name in html
    company = html[html.index(COMPANY) :]
    company = company[: company.index("</li>\n")] if "</li>\n" in company else company
    assert city.company_uscc in company
    assert "行政许可 1 条" in company and "行政处罚 1 条" in company
    assert "企业" in company and "存续" in company
    assert f'href="/subjects/{city.company_uscc}"' in html


def test_search_by_former_name_code_prefix_and_kind(client: TestClient, city: City) -> None:
    html = _html(client, "/search?q=鑫达机械厂")
    assert COMPANY in html and f"曾用名：{COMPANY_FORMER}" in html
    html = _html(client, f"/search?q={city.company_uscc[:10]}")
    assert COMPANY in html
    html = _html(client, "/search?q=鑫达&kind=individual_business")
    assert SHOP in html and COMPANY not in html
    # Too short, empty and nonsense parameters give a page, never a JSON error.
    assert "请输入至少两个字" in _html(client, "/search?q=鑫")
    assert "请输入要查询的主体名称" in _html(client, "/search")
    assert "没有找到" in _html(client, "/search?q=不存在的公司名称&kind=bogus&page=abc")


def test_search_paginates(client: TestClient, session: Session, city: City) -> None:
    assert 'rel="next"' not in client.get("/search?q=鑫达").text
    first = service.search_view(session, "鑫达", "", 1, per_page=2)
    second = service.search_view(session, "鑫达", "", 2, per_page=2)
    assert first.pager.pages == 2 and len(first.results) == 2 and len(second.results) == 1
    assert {r.link.name for r in first.results}.isdisjoint({r.link.name for r in second.results})


def test_suggestions_fragment(client: TestClient, city: City) -> None:
    html = _html(client, "/search/suggest?q=鑫达机械")
    assert COMPANY in html and "<html" not in html
    assert _html(client, "/search/suggest?q=鑫").strip() == ""


def test_subject_page_shows_public_information_with_source_departments(
    client: TestClient, city: City
) -> None:
    html = _html(client, f"/subjects/{city.company_uscc}")
    assert f"<title>{COMPANY} - 公共信用信息平台</title>" in html
    assert city.company_uscc in html and COMPANY_FORMER in html
    assert "制造业" in html and "2012-05-18" in html
    # The penalty: document number, decision date, deciding authority and source department.
    penalties = html[html.index('id="penalties"') : html.index('id="relations"')]
    assert PENALTY_DOC in penalties and "超标排放大气污染物" in penalties
    assert ECOLOGY in penalties and "数据来源单位" in penalties and "决定日期" in penalties
    assert "罚款人民币贰拾万元整" in penalties
    licences = html[html.index('id="licences"') : html.index('id="penalties"')]
    assert LICENCE_DOC in licences and MARKET in licences and "普通" in licences  # 01 shown as its label
    # Relations: the legal representative, a natural person, de-identified.
    relations = html[html.index('id="relations"') :]
    assert "法定代表人" in relations and "王**" in relations
    # The grade is not public by default: nothing about it on the page.
    assert "信用等级" not in html and "评价等级" not in html


def test_natural_persons_penalties_and_id_numbers_never_shown(client: TestClient, city: City) -> None:
    # No existence oracle (issue 20 §4): the person has nothing public, so the public finds no page
    # of theirs, by id, by the exact ID number or by a search; the answers are those of nobody.
    page = _html(client, f"/subjects/id/{city.person_id}", 404)
    assert PERSON_PENALTY_DOC not in page and "王**" not in page and PERSON not in page
    by_number = _html(client, f"/subjects/{city.person_id_number}", 404)
    assert city.person_id_number not in by_number and "王**" not in by_number
    masked = city.person_id_number[:6] + "********" + city.person_id_number[-4:]
    assert masked in by_number  # the same answer as for any unknown number, which is masked too
    results = _html(client, f"/search?q={city.person_id_number}")
    assert city.person_id_number not in results and "王**" not in results
    for url in ("/", "/publicity", f"/subjects/{city.company_uscc}", "/search?q=王建国"):
        html = _html(client, url)
        assert PERSON_PENALTY_DOC not in html and city.person_id_number not in html, url


def test_publicity_browse_by_item_provider_and_date(client: TestClient, city: City) -> None:
    html = _html(client, "/publicity")
    assert "共 2 条公示信息" in html
    assert PENALTY_DOC in html and LICENCE_DOC in html and PERSON_PENALTY_DOC not in html
    assert f'href="/subjects/{city.company_uscc}"' in html
    html = _html(client, "/publicity?item=administrative_penalty")
    assert PENALTY_DOC in html and LICENCE_DOC not in html
    market_id = re.search(r'<option value="(\d+)">' + MARKET + "</option>", html)
    assert market_id
    html = _html(client, f"/publicity?provider={market_id.group(1)}")
    assert LICENCE_DOC in html and PENALTY_DOC not in html
    day = city.today.isoformat()
    assert "共 0 条公示信息" in _html(client, f"/publicity?from={day}&to={day}")
    html = _html(client, "/publicity?from=2026-13-45&page=x")
    assert "日期格式应为 YYYY-MM-DD" in html and "共 2 条公示信息" in html


def test_catalog_page_and_template_download(client: TestClient, city: City) -> None:
    html = _html(client, "/catalog")
    assert "行政许可" in html and "行政处罚" in html and "XK_XDR_MC" in html
    assert "公开" in html and "不予公开" in html and "政务共享" in html
    r = client.get("/catalog/administrative_penalty/template.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "attachment" in r.headers["content-disposition"]
    assert "未找到" in _html(client, "/catalog/nope/template.xlsx", 404)


def test_unknown_code_gives_a_friendly_chinese_404(client: TestClient, city: City) -> None:
    html = _html(client, "/subjects/91330000000000000X", 404)
    assert "未找到" in html and "91330000000000000X" in html and "返回首页" in html
    assert '<html lang="zh-CN">' in html
    assert "未找到" in _html(client, "/subjects/id/999999", 404)
    assert "未找到" in _html(client, "/subjects/id/abc", 404)


def test_pages_escape_what_people_type(client: TestClient, city: City) -> None:
    html = _html(client, "/search?q=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith("/api/")]


def test_pages_render_on_an_empty_store(client: TestClient) -> None:
    for url in ("/", "/search?q=鑫达", "/publicity", "/catalog"):
        assert client.get(url).status_code == 200, url
    assert "没有符合条件的公示信息" in client.get("/publicity").text


def test_search_and_suggest_mask_natural_persons_names(client: TestClient, city: City) -> None:
    """The public search page, the suggestions and the public API never find a natural person by
    name (no existence oracle, issue 20 §4), not even de-identified."""
    html = _html(client, f"/search?q={PERSON}")
    # The query itself is echoed (title, search box); no result names the person.
    assert "王**" not in html and f">{PERSON}<" not in html
    html = _html(client, f"/search/suggest?q={PERSON}")
    assert "王**" not in html and PERSON not in html
    api = client.get("/api/v1/subjects", params={"q": PERSON}).json()
    assert api["items"] == [] and api["total"] == 0
