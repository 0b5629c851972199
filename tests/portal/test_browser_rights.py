"""Subject rights in a real browser (Debian's Chromium through Playwright): the subject files an
objection (with a PDF) and a repair application from /me; the credit office decides the
objection (a correction) and the market regulator decides the repair in /console. Nothing leaves
127.0.0.1 and the strict CSP blocks nothing.

With ``XINYONG_SCREENSHOTS=1`` the screenshots refresh ``docs/screenshots/`` (me-objections,
me-repairs, console-objection, console-repair)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.portal.console_seed import COMPANY_USER, MARKET_OFFICER, OFFICE, ConsoleCity
from tests.portal.live import serve
from tests.portal.test_browser_console import Watch, _login
from tests.portal.test_rights import _old_penalty
from xinyong.core.db import Database
from xinyong.records import service as records_service

pytestmark = pytest.mark.browser


@pytest.fixture
def rights_server(db: Database, console_city: ConsoleCity) -> Iterator[str]:
    with serve(db) as url:
        yield url


def test_objection_and_repair_from_me_decided_in_console(
    browser: Any, rights_server: str, session: Session, console_city: ConsoleCity, shots: Path
) -> None:
    from playwright.sync_api import expect

    objected = _old_penalty(session, console_city, "台市监罚〔2026〕920号")
    repaired = _old_penalty(session, console_city, "台市监罚〔2026〕921号")
    watch = Watch()

    # The subject files an objection with a PDF, from /me.
    context, page = _login(browser, rights_server, COMPANY_USER, watch, "/me/objections")
    page.locator("#o-record").select_option(str(objected))
    page.locator("#o-ground").select_option("wrong_content")
    page.get_by_label("异议理由").fill("处罚内容记载有误，实际处罚为警告。")
    page.locator("#o-files").set_input_files(
        [{"name": "决定书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n%demo\n"}]
    )
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url("**/me/objections?code=*")
    expect(page.get_by_role("status")).to_contain_text("查询码")
    oid = int(
        re.search(
            r"objection-(\d+)", page.locator("section.procedure").first.get_attribute("id") or ""
        ).group(1)
    )  # type: ignore[union-attr]
    expect(page.locator(f"#objection-{oid} [data-status]")).to_have_text("异议中（待比对）")
    page.screenshot(path=str(shots / "me-objections.png"), full_page=True)

    # ... and a repair application, after seeing that it may apply.
    page.goto(f"{rights_server}/me/repairs")
    page.locator("#r-record").select_option(str(repaired))
    page.get_by_role("button", name="查看可否申请").click()
    expect(page.locator("[data-eligibility]")).to_contain_text("可申请")
    page.get_by_label("纠正失信行为、履行义务的情况").fill("罚款已缴清，违法行为已整改。")
    page.get_by_label(re.compile("已履行法定义务的证明")).check()
    page.get_by_label(re.compile("已纠正失信行为、消除不良影响")).check()
    page.get_by_label("我已阅读并签署以下信用承诺").check()
    page.get_by_role("button", name="提交修复申请").click()
    page.wait_for_url("**/me/repairs?code=*")
    rid = int(
        re.search(r"repair-(\d+)", page.locator("section.procedure").first.get_attribute("id") or "").group(1)
    )  # type: ignore[union-attr]
    expect(page.locator(f"#repair-{rid} [data-status]")).to_have_text("已申请，待受理")
    page.screenshot(path=str(shots / "me-repairs.png"), full_page=True)
    context.close()

    # The credit office compares (the copies differ) and corrects the record.
    context, page = _login(browser, rights_server, OFFICE, watch, "/console/objections")
    page.get_by_role("link", name=str(oid), exact=True).first.click()
    form = page.locator('form[data-action="compare"]')
    form.get_by_label(re.compile("不一致：")).check()
    form.get_by_role("button", name="信息比对").click()
    form = page.locator('form[data-action="decide"]')
    form.get_by_label("予以更正").check()
    form.get_by_label(re.compile("更正内容")).fill("penalty_content=警告（经异议更正）")
    form.get_by_label("说明").fill("按原始文书更正")
    form.get_by_role("button", name="作出处理决定").click()
    expect(page.locator("#case-title [data-status]")).to_have_text("已更正")
    expect(page.locator("details.letter summary").first).to_contain_text("信用信息异议处理决定书（予以更正）")
    page.screenshot(path=str(shots / "console-objection.png"), full_page=True)
    context.close()

    # The market regulator (the deciding agency) accepts and grants the repair.
    context, page = _login(browser, rights_server, MARKET_OFFICER, watch, f"/console/repairs/{rid}")
    page.locator('form[data-action="accept"]').get_by_role("button", name="受理").click()
    form = page.locator('form[data-action="decide"]')
    form.get_by_label("准予修复").check()
    form.get_by_label("说明").fill("已履行义务并整改")
    form.get_by_role("button", name="作出修复决定").click()
    expect(page.locator("#case-title [data-status]")).to_have_text("准予修复，待停止公示")
    page.screenshot(path=str(shots / "console-repair.png"), full_page=True)
    context.close()
    watch.check()

    session.expire_all()
    record = records_service.get_record(session, objected)
    assert record.data["penalty_content"] == "警告（经异议更正）"
