"""Provisional years from the 放假办法, checked against the 2025 and 2026 notices we have."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from xinyong.core.settings import PROJECT_ROOT
from xinyong.core.statutory_holidays import (
    StatutoryRules,
    load_statutory_rules,
    provisional_year,
    provisional_years,
)

D = date.fromisoformat
RULES = PROJECT_ROOT / "rulesets" / "default" / "statutory_holidays.yaml"


@pytest.fixture(scope="module")
def rules() -> StatutoryRules:
    loaded = load_statutory_rules(RULES)
    assert loaded is not None
    return loaded


def _days_off(year: int, days: dict[date, str]) -> set[date]:
    d, out = date(year, 1, 1), set()
    while d.year == year:
        if d.weekday() >= 5 or d in days:
            out.add(d)
        d += timedelta(days=1)
    return out


def _notice_days_off(year: int) -> set[date]:
    d, out = date(year, 1, 1), set()
    while d.year == year:
        if not chinese_calendar.is_workday(d):
            out.add(d)
        d += timedelta(days=1)
    return out


# What the notices did beyond the 放假办法: bridging weekdays off (paid for by 调休 working
# weekends), which a provisional year never guesses.
BRIDGED = {
    2025: ["2025-02-03", "2025-02-04", "2025-05-05", "2025-10-07", "2025-10-08"],
    2026: ["2026-01-02", "2026-02-20", "2026-02-23", "2026-05-05", "2026-10-06", "2026-10-07"],
}
# The 调休 working weekends of those notices: off in the provisional year (weekends).
WORKED_WEEKENDS = {
    2025: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    2026: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
}


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_of_a_noticed_year_is_off_in_the_provisional_year(
    rules: StatutoryRules, year: int
) -> None:
    py = provisional_year(rules.versions[0], year)
    noticed = _notice_days_off(year)
    provisional = _days_off(year, py.holidays)
    # Every statutory day (and each 补假) is a day off in the notice too...
    assert set(py.statutory) <= noticed
    assert set(py.make_up) <= noticed
    # ...and the two calendars differ only by the notice's bridging days and 调休 weekends.
    assert sorted(d.isoformat() for d in noticed - provisional) == BRIDGED[year]
    assert sorted(d.isoformat() for d in provisional - noticed) == WORKED_WEEKENDS[year]
    # 13 statutory days since the 2024 revision (元旦1 春节4 清明1 劳动2 端午1 中秋1 国庆3).
    assert sum(h.days for h in rules.versions[0].holidays) == 13


def test_2027_as_rules_md_says(rules: StatutoryRules) -> None:
    py = provisional_year(rules.versions[0], 2027)
    spring = {d.isoformat(): n for d, n in py.holidays.items() if d.month == 2}
    # 春节: 除夕 5 Feb (Fri) – 初三 8 Feb (Mon); 6 and 7 Feb are a weekend → 补假 9 and 10 Feb.
    assert spring == {
        "2027-02-05": "春节",
        "2027-02-06": "春节",
        "2027-02-07": "春节",
        "2027-02-08": "春节",
        "2027-02-09": "春节补假",
        "2027-02-10": "春节补假",
    }
    october = sorted(d.isoformat() for d in py.holidays if d.month == 10)
    assert october == ["2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05"]
    assert py.holidays[D("2027-04-05")] == "清明节"  # the solar term
    assert py.holidays[D("2027-06-09")] == "端午节"  # 五月初五
    assert py.holidays[D("2027-09-15")] == "中秋节"  # 八月十五


def test_a_weekend_and_an_overlap_are_made_up(rules: StatutoryRules) -> None:
    py = provisional_year(rules.versions[0], 2028)
    assert py.holidays[D("2028-01-03")] == "元旦补假"  # 1 January 2028 is a Saturday
    # 中秋 2028 is 3 October, a day of 国庆 already: made up after the block (4 Oct for 国庆's
    # Sunday, then 5 Oct for 中秋).
    assert py.statutory[D("2028-10-03")] == "国庆节"
    assert py.make_up == {
        D("2028-01-03"): "元旦补假",
        D("2028-05-29"): "端午节补假",
        D("2028-10-04"): "国庆节补假",
        D("2028-10-05"): "中秋节补假",
    }


def test_the_horizon_follows_the_noticed_years_and_this_year(rules: StatutoryRules) -> None:
    years = provisional_years(rules, range(2004, 2027), 2026)
    assert sorted(years) == [2027, 2028, 2029, 2030, 2031]
    # A far-off declared year does not stretch the horizon; this year moving on does.
    assert sorted(provisional_years(rules, [*range(2004, 2027), 2099], 2026)) == [
        2027,
        2028,
        2029,
        2030,
        2031,
    ]
    assert max(provisional_years(rules, range(2004, 2027), 2030)) == 2035
    # No year before the first revision in the file is ever computed.
    assert min(provisional_years(rules, range(2010, 2020), 2026)) == 2025
