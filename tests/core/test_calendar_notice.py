"""Loading a year's holiday notice: checks before storing, the calendar switching from the
provisional year to the notice, 春节 2027 crossed both ways, and the CLI and console paths."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.core.notice_fixture import TEST_SOURCE, notice_2027
from xinyong.catalog.calendar import load_notice
from xinyong.cli import app
from xinyong.core.calendar import load_calendar, missing_notice_warning
from xinyong.core.db import Database
from xinyong.core.errors import InvalidInput
from xinyong.ledger.models import LedgerEntry

D = date.fromisoformat
runner = CliRunner()


def _problems(raw: dict[str, Any], session: Session) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as info:
        load_notice(session, raw)
    assert info.value.code == "calendar.notice.invalid"
    return [(p["field"], p["rule"]) for p in info.value.details["problems"]]


def test_a_notice_is_checked_before_it_is_stored(session: Session) -> None:
    wrong_count = notice_2027()
    wrong_count["holidays"][1]["days"] = 8  # 02-05..02-13 is 9 days
    assert _problems(wrong_count, session) == [("holidays[1].days", "calendar.notice.count_mismatch")]

    missing_day = notice_2027()
    missing_day["holidays"][1].update({"from": "2027-02-06", "days": 8})  # 除夕 02-05 left out
    assert ("holidays", "calendar.notice.statutory_day_missing") in _problems(missing_day, session)

    weekday_worked = notice_2027()
    weekday_worked["workdays"].append({"name": "春节调休", "date": "2027-02-17"})  # a Wednesday
    assert _problems(weekday_worked, session) == [("workdays[4].date", "calendar.notice.workday_not_weekend")]

    overlap = notice_2027()
    overlap["holidays"].append({"name": "春节", "from": "2027-02-12", "to": "2027-02-14", "days": 3})
    assert ("holidays[7].from", "calendar.notice.overlap") in _problems(overlap, session)

    no_source = notice_2027() | {"source": ""}
    assert ("source", "calendar.notice.source") in _problems(no_source, session)
    # Nothing was stored: 2027 is still provisional.
    assert load_calendar(session).provisional_years()[0] == 2027


def test_loading_the_notice_replaces_the_provisional_year(session: Session) -> None:
    before = load_calendar(session)
    assert before.basis(D("2027-02-01")) == "provisional"
    # 春节 2027, forward: provisional days off 02-05..02-10, so 5 working days after 01-29 end on 02-11.
    assert before.add_working_days(D("2027-01-29"), 5) == D("2027-02-11")
    # ...and backward, 1 working day before 02-11 is 02-04.
    assert before.add_working_days(D("2027-02-11"), -1) == D("2027-02-04")
    assert before.working_days_between(D("2027-02-04"), D("2027-02-19")) == 7

    summary = load_notice(session, notice_2027(), by="test")
    session.commit()
    assert (summary.year, summary.replaced, summary.source) == (2027, False, TEST_SOURCE)
    after = load_calendar(session)
    assert 2027 in after.noticed_years() and 2027 not in after.provisional_years()
    assert after.basis(D("2026-12-20"), D("2027-02-01")) == "notice"
    # The notice's break is 02-05..02-13 (9 days) with Saturday 02-20 worked.
    assert after.add_working_days(D("2027-01-29"), 5) == D("2027-02-15")
    assert after.add_working_days(D("2027-02-15"), -1) == D("2027-02-04")
    assert after.working_days_between(D("2027-02-04"), D("2027-02-20")) == 6  # 15-19 and 20 (调休)
    assert after.is_workday(D("2027-02-20")) and after.holiday_name(D("2027-02-20")) == "春节调休"
    # A rule-table change: in the ledger.
    kinds = session.scalars(select(LedgerEntry.kind).where(LedgerEntry.kind == "calendar.notice_loaded"))
    assert list(kinds) == ["calendar.notice_loaded"]
    # Loading it again replaces it (same year), no duplicate year.
    assert load_notice(session, notice_2027(), by="test").replaced


def test_the_warning_from_november_until_next_year_is_loaded(session: Session) -> None:
    cal = load_calendar(session)
    assert missing_notice_warning(cal, D("2026-10-31")) is None
    warning = missing_notice_warning(cal, D("2026-11-01"))
    assert warning is not None and "2027" in warning[1] and "load-notice" in warning[0]
    load_notice(session, notice_2027())
    session.commit()
    assert missing_notice_warning(load_calendar(session), D("2026-12-07")) is None


def test_cli_load_notice(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(notice_2027() | {"holidays": notice_2027()["holidays"][:1]}), encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load-notice", str(bad)])
    assert result.exit_code == 2
    assert "calendar.notice.statutory_day_missing" in result.stderr and "春节" in result.stderr
    good = tmp_path / "notice.json"
    good.write_text(json.dumps(notice_2027(), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load-notice", str(good)])
    assert result.exit_code == 0, result.output
    assert "已导入 2027 年节假日安排" in result.stdout and "共9天" in result.stdout
    out = runner.invoke(app, ["calendar", "add", "2027-01-29", "5"]).stdout
    assert out.strip().splitlines() == ["2027-02-15"]  # no provisional note any more
    assert "2027\tnotice" in runner.invoke(app, ["calendar", "years"]).stdout


def test_calendar_api_says_the_basis(client: TestClient, session: Session) -> None:
    r = client.get("/api/v1/calendar/working-days", params={"start": "2026-12-20", "n": 10})
    assert r.status_code == 200
    assert r.json() == {
        "start": "2026-12-20",
        "working_days": 10,
        "date": "2027-01-04",
        "calendar_basis": "provisional",
        "calendar_basis_zh": "按法定节假日推算，待国务院通知发布后校正",
    }
    years = {y["year"]: y["calendar_basis"] for y in client.get("/api/v1/calendar/years").json()["years"]}
    assert years[2026] == "notice" and years[2027] == "provisional"
    bad = client.get("/api/v1/calendar/working-days", params={"start": "2047-01-04", "n": 1})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "calendar_year_unknown"
    load_notice(session, notice_2027())
    session.commit()
    r = client.get("/api/v1/calendar/working-days", params={"start": "2027-01-29", "n": 5})
    assert (r.json()["date"], r.json()["calendar_basis"]) == ("2027-02-15", "notice")
