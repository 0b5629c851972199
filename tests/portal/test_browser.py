"""The public site in a real browser (Debian's Chromium driven by Playwright), as a person uses it:
home → type a name fragment (suggestions appear) → results → the subject's page with its public
penalty and the department it came from. The browser must never contact another host, and the
strict CSP must not block anything the pages need.

Screenshots go to a temporary folder; with ``XINYONG_SCREENSHOTS=1`` they refresh
``docs/screenshots/`` (home, results, subject page, subject page on a phone).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.portal.live import serve
from tests.portal.seed import COMPANY, ECOLOGY, PENALTY_DOC, PERSON_PENALTY_DOC, City
from xinyong.core.db import Database

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(db: Database, city: City) -> Iterator[str]:
    """The platform served by uvicorn on a free loopback port, on the test store."""
    with serve(db) as url:
        yield url


def test_search_to_subject_page_with_public_penalty(
    browser: object, live_server: str, city: City, shots: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    hosts: set[str] = set()
    problems: list[str] = []
    page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or req.url))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(f"{live_server}/")
    expect(page).to_have_title("首页 - 公共信用信息平台")
    page.screenshot(path=str(shots / "home.png"), full_page=True)
    # Keyboard first: the first Tab lands on the skip link.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()

    # Typing a fragment shows suggestions (htmx, loaded from the platform under the CSP) ...
    box = page.get_by_label("查询信用主体")
    box.press_sequentially("鑫达机械", delay=30)
    expect(page.locator("#suggest a").first).to_contain_text(COMPANY)
    # ... and Enter submits the plain form: the results page.
    box.press("Enter")
    page.wait_for_url("**/search?*")
    results = page.locator("ol.results > li")
    expect(results.first).to_contain_text(COMPANY)
    expect(results.first).to_contain_text("行政处罚 1 条")
    expect(results.first).to_contain_text(city.company_uscc)
    page.screenshot(path=str(shots / "results.png"), full_page=True)

    page.get_by_role("link", name=COMPANY).click()
    page.wait_for_url(f"**/subjects/{city.company_uscc}")
    penalties = page.locator("#penalties")
    expect(penalties).to_contain_text(PENALTY_DOC)
    expect(penalties).to_contain_text(ECOLOGY)
    expect(penalties).to_contain_text("数据来源单位")
    expect(page.locator("body")).not_to_contain_text(PERSON_PENALTY_DOC)
    # Details open without JavaScript (<details>), and show the public fields.
    penalties.locator("summary").first.click()
    expect(penalties).to_contain_text("《中华人民共和国大气污染防治法》第九十九条第二项")
    page.screenshot(path=str(shots / "subject.png"), full_page=True)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="双公示").click()
    page.wait_for_url("**/publicity")
    expect(page.locator("main")).to_contain_text(PENALTY_DOC)
    page.screenshot(path=str(shots / "publicity.png"), full_page=True)

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2)
    mobile = phone.new_page()
    mobile.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or req.url))
    mobile.goto(f"{live_server}/subjects/{city.company_uscc}")
    expect(mobile.locator("h1")).to_contain_text(COMPANY)
    # Nothing wider than the phone's screen.
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    mobile.screenshot(path=str(shots / "subject-mobile.png"), full_page=False)

    assert hosts == {"127.0.0.1"}, hosts
    assert problems == [], problems
    phone.close()
    context.close()


def test_pages_read_without_javascript(browser: object, live_server: str, city: City) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.get_by_label("查询信用主体").fill("鑫达")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/search?*")
    page.get_by_role("link", name=COMPANY).click()
    expect(page.locator("#penalties")).to_contain_text(PENALTY_DOC)
    page.goto(f"{live_server}/publicity?item=administrative_penalty")
    expect(page.locator("main")).to_contain_text(PENALTY_DOC)
    page.goto(f"{live_server}/subjects/91330000000000000X")
    expect(page.locator("h1")).to_have_text("未找到该页面")
    context.close()


def test_api_docs_render_offline_in_the_browser(browser: object, live_server: str) -> None:
    """/docs (Swagger UI, vendored) renders the OpenAPI 3.1 schema with no outside request."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_context(locale="zh-CN").new_page()
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or req.url))
    page.goto(f"{live_server}/docs")
    # Every tag is listed (collapsed); opening one shows its operations.
    tags = page.locator(".opblock-tag")
    expect(tags.first).to_be_visible(timeout=15000)
    assert tags.count() >= 20
    tags.filter(has_text="系统（system）").click()
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    expect(page.locator("body")).not_to_contain_text("Unable to render")
    expect(page.locator("body")).to_contain_text("/api/v1/health")
    assert hosts <= {"127.0.0.1"}, hosts
