"""The console's calendar: the warning while next year's holiday notice is missing, the
provisional years shown, and loading the notice from the rules page."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.core.notice_fixture import TEST_SOURCE, notice_2027
from tests.portal.console_seed import MARKET_OFFICER, OFFICE, ConsoleCity, signed_in
from xinyong.core import calendar as work_calendar
from xinyong.core.clock import today_china
from xinyong.core.ledger_models import LedgerEntry


def test_console_warns_and_loads_the_notice(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, OFFICE)
    late_in_year = today_china().month >= 11 and today_china().year == 2026
    dashboard = client.get("/console").text
    assert ("尚未导入2027年国务院节假日安排通知" in dashboard) is late_in_year
    html = client.get("/console/rules").text
    assert "按法定节假日推算，待国务院通知发布后校正" in html and "导入国务院节假日安排通知" in html
    token = form_token(html)
    partial = notice_2027() | {"holidays": notice_2027()["holidays"][1:]}
    refused = client.post(
        "/console/rules/calendar/notice",
        data={"notice": yaml.safe_dump(partial, allow_unicode=True), "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "法定节假日 2027-01-01（元旦）不在通知的任何放假区间内" in refused.text
    done = client.post(
        "/console/rules/calendar/notice",
        data={"notice": yaml.safe_dump(notice_2027(), allow_unicode=True), "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:500]
    shown = client.get(done.headers["location"]).text
    assert "2027 年节假日安排已导入" in shown and TEST_SOURCE in shown and "共9天" in shown
    assert "尚未导入2027年" not in client.get("/console").text
    session.expire_all()
    assert 2027 in work_calendar.load_calendar(session).noticed_years()
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "calendar.notice_loaded")).one()
    assert entry.ref == "calendar:2027"
    # A provider may not load a notice.
    signed_in(client, MARKET_OFFICER)
    assert "导入国务院节假日安排通知" not in client.get("/console/rules").text
    r = client.post(
        "/console/rules/calendar/notice",
        data={"notice": "year: 2028", "csrf_token": form_token(client.get("/account").text)},
    )
    assert r.status_code == 403
