"""The signed-in portal in a real browser (Debian's Chromium driven by Playwright), as its users
work: a provider drops a file with bad rows on the upload page, sees the row errors, fixes one in
the quarantine and finds the record on the public subject page; the credit office moves a list
procedure one step from its queue; a subject logs in and sees who viewed its file. No request may
leave 127.0.0.1 and the strict CSP must not block anything (charts included).

With ``XINYONG_SCREENSHOTS=1`` the screenshots refresh ``docs/screenshots/`` (console, upload with
errors, quarantine, /me)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from tests.portal.console_seed import (
    BAD_CODE_DOC,
    COMPANY_USER,
    MARKET_OFFICER,
    OFFICE,
    REGULATOR,
    ConsoleCity,
    upload_csv,
)
from tests.portal.live import log_in, serve
from tests.portal.seed import COMPANY, SHOP
from xinyong.core.db import Database
from xinyong.evaluation import service as evaluation_service
from xinyong.ingest import service as ingest_service

pytestmark = pytest.mark.browser


@pytest.fixture
def console_server(db: Database, console_city: ConsoleCity) -> Iterator[str]:
    with serve(db) as url:
        yield url


class Watch:
    """Every host a page asked for, and every console error (CSP violations are console errors)."""

    def __init__(self) -> None:
        self.hosts: set[str] = set()
        self.problems: list[str] = []

    def attach(self, page: Any) -> Any:
        page.on("request", lambda req: self.hosts.add(urlsplit(req.url).hostname or req.url))
        page.on("console", lambda msg: self.problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.problems.append(str(exc)))
        return page

    def check(self) -> None:
        assert self.hosts == {"127.0.0.1"}, self.hosts
        assert self.problems == [], self.problems


def _login(browser: Any, base: str, username: str, watch: Watch, next_url: str) -> tuple[Any, Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = watch.attach(context.new_page())
    log_in(page, base, username, next_url)
    return context, page


def test_provider_uploads_bad_rows_fixes_one_and_the_record_is_public(
    browser: Any, console_server: str, console_city: ConsoleCity, shots: Path
) -> None:
    from playwright.sync_api import expect

    watch = Watch()
    context, page = _login(browser, console_server, MARKET_OFFICER, watch, "/console")
    expect(page.locator("h1")).to_have_text("管理控制台")
    page.get_by_role("navigation", name="控制台栏目").get_by_role("link", name="上传报送").click()
    page.wait_for_url("**/console/upload")
    page.get_by_label("信息类别", exact=True).select_option("administrative_penalty")
    # Drag and drop: a file dropped on the zone lands in the plain file input.
    page.evaluate(
        """([name, text]) => {
            const zone = document.querySelector('[data-dropzone]');
            const data = new DataTransfer();
            data.items.add(new File([text], name, {type: 'text/csv'}));
            for (const type of ['dragenter', 'dragover', 'drop']) {
                zone.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
            }
        }""",
        ["处罚信息.csv", upload_csv(console_city).decode("utf-8")],
    )
    expect(page.locator("[data-dropzone-file]")).to_have_text("处罚信息.csv")
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/console/upload?submission=*")
    expect(page.get_by_role("status")).to_contain_text("共 3 行：接收 1 行，拒绝 2 行。")
    problems = page.locator("table.problems tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("uscc.check_char")
    expect(problems.nth(0)).to_contain_text(console_city.shop_bad_uscc)
    expect(problems.nth(1)).to_contain_text("ingest.future_date")
    page.screenshot(path=str(shots / "upload-errors.png"), full_page=True)

    problems.nth(0).get_by_role("link", name="更正").click()
    page.wait_for_url("**/console/quarantine/*")
    field = page.locator('input[name="v:CF_XDR_SHXYM"]')
    expect(field).to_have_value(console_city.shop_bad_uscc)
    expect(field).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(shots / "quarantine.png"), full_page=True)
    field.fill(console_city.city.shop_uscc)
    page.get_by_role("button", name="更正并重新提交").click()
    page.wait_for_url("**done=resubmitted*")
    expect(page.get_by_role("status")).to_contain_text("已更正并重新提交")
    page.get_by_role("status").get_by_role("link", name=SHOP).click()
    page.wait_for_url(f"**/subjects/{console_city.city.shop_uscc}")
    expect(page.locator("#penalties")).to_contain_text(BAD_CODE_DOC)
    expect(page.locator("#penalties")).to_contain_text("台州市市场监督管理局")
    watch.check()
    context.close()


def test_staff_moves_a_list_procedure_one_step(
    browser: Any, console_server: str, session: Session, console_city: ConsoleCity, shots: Path
) -> None:
    from playwright.sync_api import expect

    # The market regulator has sent the file with bad rows: the console has something to show.
    ingest_service.submit_file(
        session, "TZ-SCJG", "administrative_penalty", io.BytesIO(upload_csv(console_city)), "处罚信息.csv"
    )
    watch = Watch()
    context, page = _login(browser, console_server, OFFICE, watch, "/console")
    # The dashboard's charts are drawn (ECharts, from the data attribute, under the strict CSP).
    expect(page.locator(".chart svg").first).to_be_visible()
    page.screenshot(path=str(shots / "console.png"), full_page=True)
    page.get_by_role("navigation", name="控制台栏目").get_by_role("link", name="名单认定待办").click()
    page.wait_for_url("**/lists/queue")
    row = page.locator("tbody tr", has_text=COMPANY)
    expect(row).to_contain_text("待告知")
    row.get_by_role("link", name=str(console_city.procedure_id)).click()
    page.wait_for_url(f"**/console/lists/{console_city.procedure_id}")
    page.get_by_label("文书号").fill("台信告〔2026〕1号")
    page.get_by_role("button", name="发出告知").click()
    page.wait_for_url("**done=notice*")
    expect(page.get_by_role("status")).to_contain_text("已办理：告知")
    expect(page.locator("[data-status]")).to_have_text("已告知（陈述申辩期）")
    watch.check()
    context.close()


def test_subject_sees_who_viewed_its_file(
    browser: Any, console_server: str, session: Session, console_city: ConsoleCity, shots: Path
) -> None:
    from playwright.sync_api import expect

    evaluation_service.evaluate_subjects(session, [console_city.city.company_id])
    session.commit()
    watch = Watch()
    # A regulator looks at the company's non-public information for supervision.
    context, page = _login(
        browser, console_server, REGULATOR, watch, f"/subjects/{console_city.city.company_uscc}"
    )
    page.locator("select#purpose").select_option(label="监管执法")
    page.get_by_role("button", name="按此用途查询").click()
    expect(page.locator(".purpose-card")).to_contain_text("当前以“监管执法”用途查看非公开信息")
    context.close()
    # The company's account holder sees it on its own page.
    context, page = _login(browser, console_server, COMPANY_USER, watch, "/me")
    expect(page.locator("h1")).to_contain_text(COMPANY)
    viewers = page.locator("section", has=page.locator("#viewers-title"))
    expect(viewers).to_contain_text("台州市发展和改革委员会")
    expect(viewers).to_contain_text("监管执法")
    expect(page.locator(".grade")).to_be_visible()
    page.screenshot(path=str(shots / "me.png"), full_page=True)
    page.get_by_role("navigation", name="自助服务栏目").get_by_role("link", name="我的信用档案").click()
    page.wait_for_url("**/me/records")
    expect(page.locator("main")).to_contain_text("第 1 版 · 首次报送")
    watch.check()
    context.close()
