"""/verify in a real browser (Debian's Chromium via Playwright): type the number and check code
from the report → valid with the registered hash; upload the file with one byte changed →
altered. The page loads nothing from another host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from tests.portal.live import chromium, serve
from tests.portal.seed import COMPANY, City
from xinyong.accounts.principal import Principal
from xinyong.core.db import Database
from xinyong.reports import service

pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def test_verify_page_by_number_and_by_upload(
    browser: object, db: Database, session: Session, city: City, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    issued = service.issue_report(
        session,
        Principal(role="credit_office", kind="cli", username="clerk"),
        city.company_uscc,
        channel="cli",
    )
    session.commit()
    altered = bytearray(issued.pdf)
    altered[len(altered) // 3] ^= 0x20
    bad = tmp_path / "改过的报告.pdf"
    bad.write_bytes(bytes(altered))

    assert isinstance(browser, Browser)
    with serve(db) as url:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(urlsplit(req.url).hostname or req.url))
        page.goto(f"{url}/verify")
        expect(page.locator("h1")).to_have_text("信用报告验真")
        page.get_by_role("textbox", name="报告编号").fill(issued.number)
        page.get_by_role("textbox", name="验证码").fill(issued.check_code)
        page.locator("#verify-number").click()
        expect(page.locator("#verify-status")).to_have_text("真实有效")
        expect(page.locator("#registered-hash")).to_have_text(issued.sha256)
        expect(page.locator(".verify-result")).to_contain_text(COMPANY)

        page.set_input_files("#file", str(bad))
        page.locator("#verify-file").click()
        expect(page.locator("#verify-status")).to_have_text("已被篡改")
        expect(page.locator("#registered-hash")).to_have_text(issued.sha256)
        expect(page.locator("#file-hash")).not_to_have_text(issued.sha256)
        context.close()
    assert hosts == {"127.0.0.1"}
