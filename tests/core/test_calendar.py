"""The working-day calendar: holidays, make-up days, deadlines, unknown years, city overrides."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from xinyong.core.calendar import (
    add_override,
    base_calendar,
    list_overrides,
    load_calendar,
    remove_override,
)
from xinyong.core.errors import InvalidInput, UnknownCalendarYear
from xinyong.core.settings import PROJECT_ROOT, reset_settings

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        # 2024: Spring Festival 02-10..17 with make-up Sundays 02-04 and 02-18; Golden Week.
        ("2024-02-04", True),
        ("2024-02-15", False),
        ("2024-02-18", True),
        ("2024-09-29", True),
        ("2024-10-07", False),
        ("2024-10-12", True),
        # 2025: Sunday 01-26 and Saturday 02-08 are make-up days; 10-01..08 off, 09-28 and 10-11 worked.
        ("2025-01-26", True),
        ("2025-01-28", False),
        ("2025-02-08", True),
        ("2025-10-01", False),
        ("2025-10-08", False),
        ("2025-09-28", True),
        ("2025-10-11", True),
        ("2025-10-12", False),
        # 2026: 01-04 (Sunday) worked; Spring Festival 02-15..23; Golden Week 10-01..07, 10-10 worked.
        ("2026-01-04", True),
        ("2026-02-16", False),
        ("2026-02-23", False),
        ("2026-02-28", True),
        ("2026-10-07", False),
        ("2026-10-10", True),
        # ordinary days
        ("2025-03-05", True),
        ("2025-03-08", False),
    ],
)
def test_holidays_and_make_up_days(day: str, workday: bool) -> None:
    assert base_calendar().is_workday(D(day)) is workday


def test_names_of_special_days() -> None:
    cal = base_calendar()
    assert cal.holiday_name(D("2025-10-03")) == "国庆节"
    assert cal.holiday_name(D("2025-01-26")) == "春节调休"
    assert cal.holiday_name(D("2025-03-05")) is None


def test_deadline_moves_past_golden_week() -> None:
    cal = base_calendar()
    # Start day not counted; the whole of 10-01..10-08 is skipped.
    assert cal.add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
    # Friday 09-26 + 7 working days: 09-28 (make-up Sunday) counts, 10-11 (make-up Saturday) too.
    assert cal.add_working_days(D("2025-09-26"), 7) == D("2025-10-13")
    assert cal.deadline(D("2025-09-26"), 7) == D("2025-10-13")
    # A calendar-day period ending inside the holiday moves to the next working day.
    assert cal.deadline(D("2025-09-20"), 11, unit="days") == D("2025-10-09")
    assert cal.deadline(D("2025-09-20"), 5, unit="days") == D("2025-09-25")


def test_zero_and_negative_counts() -> None:
    cal = base_calendar()
    assert cal.add_working_days(D("2025-10-04"), 0) == D("2025-10-09")  # rolled forward
    assert cal.add_working_days(D("2025-10-09"), 0) == D("2025-10-09")
    assert cal.add_working_days(D("2025-10-09"), -1) == D("2025-09-30")
    with pytest.raises(InvalidInput):
        cal.deadline(D("2025-10-09"), -1)


def test_working_days_between() -> None:
    cal = base_calendar()
    assert cal.working_days_between(D("2025-09-30"), D("2025-10-09")) == 1
    assert cal.working_days_between(D("2025-09-30"), D("2025-09-30")) == 0
    assert cal.working_days_between(D("2025-10-09"), D("2025-09-30")) == -1
    assert cal.working_days_between(D("2025-10-01"), D("2025-10-08")) == 0
    # A licence decided on Friday 2025-09-26 and received 2025-10-13 is exactly on time (7 days).
    assert cal.working_days_between(D("2025-09-26"), D("2025-10-13")) == 7
    assert cal.working_days_between(D("2025-09-26"), D("2025-10-14")) == 8
    # 2025 has 248 working days (243 working weekdays plus 5 make-up weekend days).
    assert cal.working_days_between(D("2024-12-31"), D("2025-12-31")) == 248
    assert cal.working_days_between(datetime(2025, 9, 30, 18), datetime(2025, 10, 9, 9)) == 1


def test_every_known_day_agrees_with_chinesecalendar() -> None:
    import chinese_calendar

    cal = base_calendar()
    d = date(2004, 1, 1)
    while d.year <= 2026:
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30)), st.integers(0, 100))
def test_add_and_between_are_inverse(start: date, n: int) -> None:
    cal = base_calendar()
    end = cal.add_working_days(start, n)
    assert cal.is_workday(end)
    if n > 0:
        assert cal.working_days_between(start, end) == n
        assert cal.working_days_between(start, end - timedelta(days=1)) == n - 1


@pytest.mark.parametrize(
    "call",
    [
        lambda cal: cal.is_workday(D("2047-01-04")),
        lambda cal: cal.add_working_days(D("2047-12-28"), 10),
        lambda cal: cal.add_working_days(D("2047-03-01"), 1),
        lambda cal: cal.working_days_between(D("2047-01-01"), D("2047-01-10")),
        lambda cal: cal.deadline(D("2046-12-25"), 30, unit="days"),
    ],
)
def test_unknown_year_is_an_error_not_a_guess(call) -> None:  # type: ignore[no-untyped-def]
    # Beyond the provisional horizon (a few years ahead of this year) nothing is computed.
    with pytest.raises(UnknownCalendarYear) as info:
        call(base_calendar())
    err = info.value
    assert err.code == "calendar_year_unknown"
    assert "2047年" in err.message_zh and "2047" in err.message
    assert err.details["year"] == 2047


def test_years_before_the_package_are_unknown() -> None:
    cal = base_calendar()
    assert cal.known_years()[0] == 2004 and cal.noticed_years()[-1] == 2026
    with pytest.raises(UnknownCalendarYear) as info:
        cal.working_days_between(D("2003-06-01"), D("2004-02-01"))
    assert info.value.details["year"] == 2003


def test_shipped_ruleset_declares_no_invented_year() -> None:
    text = (PROJECT_ROOT / "rulesets" / "default" / "calendar.yaml").read_text(encoding="utf-8")
    assert "\nyears: []" in text


def test_ruleset_can_declare_a_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = tmp_path / "ruleset"
    ruleset.mkdir()
    (ruleset / "identifiers.yaml").write_text(
        (PROJECT_ROOT / "rulesets" / "default" / "identifiers.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    # A fictional test year far away, so nobody mistakes it for a real notice.
    (ruleset / "calendar.yaml").write_text(
        "years:\n"
        "  - year: 2099\n"
        "    effective_from: 2098-11-01\n"
        "    source: test fixture\n"
        "    holidays:\n"
        "      - {from: 2099-01-01, to: 2099-01-03, name: 元旦}\n"
        "    workdays:\n"
        "      - {date: 2099-01-04, name: 元旦调休}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XINYONG_RULESET_DIR", str(ruleset))
    reset_settings()
    cal = base_calendar()
    assert 2099 in cal.known_years()
    assert not cal.is_workday(D("2099-01-02"))  # a Friday, declared off
    assert cal.is_workday(D("2099-01-04"))  # a Sunday, declared worked
    assert cal.add_working_days(D("2099-01-01"), 1) == D("2099-01-04")
    with pytest.raises(UnknownCalendarYear):  # the gap 2027-2098 is still unknown
        cal.working_days_between(D("2026-12-01"), D("2099-01-05"))
    # The year is not known without a source: provenance is required.
    (ruleset / "calendar.yaml").write_text(
        "years:\n  - {year: 2099, effective_from: 2098-11-01}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="source"):
        base_calendar()


def test_override_changes_the_result(session: Session) -> None:
    before = load_calendar(session)
    assert before.add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
    add_override(session, D("2025-10-09"), False, "台风停工", "台州市人民政府通知（测试）")
    session.commit()
    after = load_calendar(session)
    assert after is not before
    assert not after.is_workday(D("2025-10-09"))
    assert after.holiday_name(D("2025-10-09")) == "台风停工"
    assert after.add_working_days(D("2025-09-30"), 1) == D("2025-10-10")
    assert after.working_days_between(D("2025-09-30"), D("2025-10-10")) == 1

    # Replacing the override (make it a working Saturday) and removing it both take effect.
    add_override(session, D("2025-10-09"), True, "恢复上班", "")
    add_override(session, D("2025-10-18"), True, "补班", "")
    session.commit()
    assert load_calendar(session).is_workday(D("2025-10-18"))
    assert [o.day for o in list_overrides(session)] == [D("2025-10-09"), D("2025-10-18")]
    assert remove_override(session, D("2025-10-18"))
    assert not remove_override(session, D("2025-10-18"))
    session.commit()
    assert not load_calendar(session).is_workday(D("2025-10-18"))
    assert load_calendar(session) is load_calendar(session)  # unchanged store: cached


def test_override_in_unknown_year_does_not_make_it_known(session: Session) -> None:
    add_override(session, D("2047-01-01"), False, "元旦", "")
    session.commit()
    with pytest.raises(UnknownCalendarYear):
        load_calendar(session).is_workday(D("2047-01-01"))


def test_override_in_a_provisional_year_takes_effect(session: Session) -> None:
    add_override(session, D("2027-03-03"), False, "台风停工", "测试")
    session.commit()
    cal = load_calendar(session)
    assert not cal.is_workday(D("2027-03-03"))
    assert cal.basis(D("2027-03-03")) == "provisional"


def test_override_needs_a_name(session: Session) -> None:
    with pytest.raises(InvalidInput):
        add_override(session, D("2025-10-09"), False, "  ", "")
