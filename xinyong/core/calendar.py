"""Working-day calendar: Chinese public holidays and make-up working days (调休).

Layers, later ones winning:

1. the pinned ``chinesecalendar`` package (State Council notices, 2004-2026 in version 1.11);
2. ``calendar.yaml`` in the ruleset: whole years a city declares (a year the package does not know
   yet, or a corrected year; a declared year replaces the package's data for it);
3. the ``calendar_notices`` table: notices loaded by staff (``xinyong calendar load-notice`` or the
   console), which replace (1) and (2) for their year;
4. **provisional years** (basis ``provisional``, 按法定节假日推算): a year none of the above knows,
   from the first year of ``statutory_holidays.yaml`` up to a few years ahead, is computed from
   the 放假办法 (``core.statutory_holidays``) so that deadlines into it can be given today. A date
   that depends on such a year says so, and the daily job recomputes it once the notice is loaded;
5. the ``calendar_overrides`` table: single days (a local holiday, a typhoon day off).

A year outside all of them (before 2004, or beyond the provisional horizon) raises
:class:`~xinyong.core.errors.UnknownCalendarYear`.

Deadline semantics of Chinese administrative law: the start day is not counted, and a deadline
that falls on a day off moves to the next working day.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput, UnknownCalendarYear
from xinyong.core.models import CalendarNotice, CalendarOverride
from xinyong.core.settings import get_settings
from xinyong.core.statutory_holidays import StatutoryRules, load_statutory_rules, provisional_years

STATUTORY_FILE = "statutory_holidays.yaml"

Unit = Literal["working_days", "days"]
# How a computed date stands: on the State Council notices (or a city's declared year), or on a
# year computed from the 放假办法 before its notice (see core.statutory_holidays).
Basis = Literal["notice", "provisional"]
NOTICE: Basis = "notice"
PROVISIONAL: Basis = "provisional"
BASIS_ZH: dict[str, str] = {
    NOTICE: "按国务院节假日安排通知",
    PROVISIONAL: "按法定节假日推算，待国务院通知发布后校正",
}


@dataclass(frozen=True)
class Override:
    """A city's correction of one day."""

    day: date
    is_workday: bool
    name: str
    source: str


@dataclass(frozen=True)
class DeclaredYear:
    """A whole year from ``calendar.yaml``: its days off and make-up working days."""

    year: int
    holidays: dict[date, str]
    workdays: dict[date, str]
    effective_from: date
    source: str


@dataclass(frozen=True)
class DateMove:
    """A stored date recomputed after the calendar changed (a notice replaced a provisional
    year): what it belongs to, which date, the old and the new value."""

    owner: str  # e.g. "list_procedure:12", "measure_check:<id>", "submission_row:34"
    field: str
    old: date | None
    new: date | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "owner": self.owner,
            "field": self.field,
            "old": self.old.isoformat() if self.old else None,
            "new": self.new.isoformat() if self.new else None,
        }


def _span_text(years: Iterable[int]) -> str:
    """2004-2026, 2028 style."""
    ys = sorted(years)
    if not ys:
        return "无"
    parts: list[str] = []
    start = prev = ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


class WorkCalendar:
    """Answers working-day questions with a dict lookup per day and a bisect per range."""

    def __init__(
        self,
        known_years: Iterable[int],
        exceptions: Mapping[date, bool],
        names: Mapping[date, str] | None = None,
        provisional_years: Iterable[int] = (),
    ) -> None:
        """``exceptions`` maps days that differ from Monday-Friday work to whether they are
        working days; days outside ``known_years`` are ignored. ``provisional_years`` (a subset of
        the known ones) were computed from the 放假办法, without their notice."""
        self._known = frozenset(known_years)
        self._provisional = frozenset(provisional_years) & self._known
        self._names = dict(names or {})
        self._day: dict[date, bool] = {}
        for year in sorted(self._known):
            d = date(year, 1, 1)
            while d.year == year:
                self._day[d] = exceptions.get(d, d.weekday() < 5)
                d += timedelta(days=1)
        # Sorted ordinals of every working day: range questions become two bisects.
        self._work = [d.toordinal() for d, w in sorted(self._day.items()) if w]

    # --- errors --------------------------------------------------------------------------------
    def _unknown(self, year: int) -> UnknownCalendarYear:
        span = _span_text(self._known)
        return UnknownCalendarYear(
            f"The working-day calendar has no holiday data for {year} (known years: {span}). "
            "Load the State Council holiday notice of that year (xinyong calendar load-notice FILE).",
            f"工作日历缺少{year}年的节假日安排（已知年份：{span}），不能推算工作日。"
            "请依据国务院办公厅当年部分节假日安排的通知导入该年（xinyong calendar load-notice）。",
            year=year,
            known_years=span,
        )

    def _require_years(self, first: int, last: int) -> None:
        for year in range(first, last + 1):
            if year not in self._known:
                raise self._unknown(year)

    def _first_unknown(self, year: int, step: int) -> int:
        while year in self._known:
            year += step
        return year

    # --- single days ---------------------------------------------------------------------------
    def known_years(self) -> list[int]:
        """Every year the calendar answers for, provisional ones included."""
        return sorted(self._known)

    def noticed_years(self) -> list[int]:
        """The years known from a notice (package, calendar.yaml or a loaded notice)."""
        return sorted(self._known - self._provisional)

    def provisional_years(self) -> list[int]:
        return sorted(self._provisional)

    def basis(self, *days: date | None) -> Basis:
        """``provisional`` when any year from the earliest to the latest of ``days`` (a period's
        start and end) is a provisional year, else ``notice``."""
        years = [d.year for d in days if d is not None]
        if not years or not self._provisional:
            return NOTICE
        first, last = min(years), max(years)
        return PROVISIONAL if any(first <= y <= last for y in self._provisional) else NOTICE

    def is_workday(self, d: date) -> bool:
        try:
            return self._day[d]
        except KeyError:
            # A datetime never equals a date key; anything else missing is an unknown year.
            if isinstance(d, datetime):
                return self.is_workday(d.date())
            raise self._unknown(d.year) from None

    def holiday_name(self, d: date) -> str | None:
        """The holiday or make-up-day name of ``d`` (e.g. 国庆节, 春节调休), None for ordinary days."""
        self.is_workday(d)
        return self._names.get(d.date() if isinstance(d, datetime) else d)

    def roll_forward(self, d: date) -> date:
        """``d`` if it is a working day, else the next working day."""
        return _as_date(d) if self.is_workday(d) else self.add_working_days(d, 1)

    # --- ranges --------------------------------------------------------------------------------
    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (start not counted; the result is a working
        day). ``n == 0`` gives ``start`` rolled forward to a working day; ``n < 0`` the ``|n|``-th
        working day before ``start``."""
        start = _as_date(start)
        if start.year not in self._known:
            raise self._unknown(start.year)
        if n == 0:
            return self.roll_forward(start)
        o = start.toordinal()
        if n > 0:
            i = bisect.bisect_right(self._work, o) + n - 1
            if i >= len(self._work):
                raise self._unknown(self._first_unknown(start.year, 1))
        else:
            i = bisect.bisect_left(self._work, o) + n
            if i < 0:
                raise self._unknown(self._first_unknown(start.year, -1))
        result = date.fromordinal(self._work[i])
        self._require_years(min(start.year, result.year), max(start.year, result.year))
        return result

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days ``d`` with ``a < d <= b`` (a deadline's count: the first day
        is not counted, the last is). 0 when ``a == b``; negative (the same count, negated) when
        ``b < a``. Both years, and every year between, must be known."""
        a, b = _as_date(a), _as_date(b)
        self._require_years(min(a.year, b.year), max(a.year, b.year))
        return bisect.bisect_right(self._work, b.toordinal()) - bisect.bisect_right(self._work, a.toordinal())

    def deadline(self, start: date, n: int, unit: Unit = "working_days") -> date:
        """The last day of a period of ``n`` working days (or calendar ``days``) from ``start``:
        the start day is not counted; a last day that falls on a day off moves to the next
        working day."""
        if n < 0:
            raise InvalidInput(
                f"A period cannot be negative ({n})", f"期限天数不能为负数（{n}）", field="n", value=n
            )
        if unit == "days":
            return self.roll_forward(_as_date(start) + timedelta(days=n))
        return self.add_working_days(start, n)


def _as_date(d: date) -> date:
    return d.date() if isinstance(d, datetime) else d


# --- building ---------------------------------------------------------------------------------
def _parse_day(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"calendar.yaml: {where}: not a date: {value!r}") from exc


def _expand(entries: Iterable[dict[str, Any]], year: int, where: str) -> dict[date, str]:
    days: dict[date, str] = {}
    for entry in entries or []:
        name = str(entry.get("name", ""))
        if "date" in entry:
            first = last = _parse_day(entry["date"], where)
        else:
            first, last = _parse_day(entry["from"], where), _parse_day(entry["to"], where)
        d = first
        while d <= last:
            # A break may start in late December of the year before (e.g. 元旦 on 12-31).
            if abs(d.year - year) > 1:
                raise ValueError(f"calendar.yaml: {where}: {d} is far from {year}")
            days[d] = name
            d += timedelta(days=1)
    return days


def load_declared_years(path: Path) -> list[DeclaredYear]:
    """The whole years declared in a ruleset's ``calendar.yaml`` (none if the file is absent)."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[DeclaredYear] = []
    for entry in data.get("years") or []:
        year = int(entry["year"])
        where = f"year {year}"
        if not entry.get("effective_from") or not entry.get("source"):
            raise ValueError(f"calendar.yaml: {where} needs effective_from and source")
        out.append(
            DeclaredYear(
                year=year,
                holidays=_expand(entry.get("holidays") or [], year, where),
                workdays=_expand(entry.get("workdays") or [], year, where),
                effective_from=_parse_day(entry["effective_from"], where),
                source=str(entry["source"]),
            )
        )
    return out


def _package_layer() -> tuple[set[int], dict[date, bool], dict[date, str]]:
    import chinese_calendar

    exceptions: dict[date, bool] = {}
    names: dict[date, str] = {}

    def zh(value: str) -> str:
        try:
            return str(chinese_calendar.Holiday(value).chinese)
        except ValueError:
            return value

    for d, value in chinese_calendar.holidays.items():
        exceptions[d] = False
        names[d] = zh(value)
    for d, value in chinese_calendar.workdays.items():
        exceptions[d] = True
        names[d] = f"{zh(value)}调休"
    keys = list(chinese_calendar.holidays)
    years = set(range(min(keys).year, max(keys).year + 1))
    return years, exceptions, names


def build_calendar(
    declared: Iterable[DeclaredYear] = (),
    overrides: Iterable[Override] = (),
    statutory: StatutoryRules | None = None,
    this_year: int | None = None,
) -> WorkCalendar:
    """The calendar from the package, then ``declared`` years (calendar.yaml, then loaded notices),
    then provisional years from ``statutory`` rules, then ``overrides``."""
    years, exceptions, names = _package_layer()
    for dy in declared:
        for d in [d for d in exceptions if d.year == dy.year]:
            del exceptions[d]
            names.pop(d, None)
        years.add(dy.year)
        for d, name in dy.holidays.items():
            exceptions[d], names[d] = False, name
        for d, name in dy.workdays.items():
            exceptions[d], names[d] = True, name
    provisional: set[int] = set()
    if statutory is not None:
        for year, py in provisional_years(statutory, years, this_year or date.today().year).items():
            years.add(year)
            provisional.add(year)
            for d, name in py.holidays.items():
                exceptions[d], names[d] = False, name
    for o in overrides:
        exceptions[o.day] = o.is_workday
        names[o.day] = o.name
    return WorkCalendar(years, exceptions, names, provisional)


def _file_fingerprint(name: str) -> tuple[str, int]:
    path = get_settings().ruleset_dir / name
    try:
        return str(path), path.stat().st_mtime_ns
    except FileNotFoundError:
        return str(path), -1


def _ruleset_fingerprint() -> tuple[tuple[str, int], tuple[str, int]]:
    return _file_fingerprint("calendar.yaml"), _file_fingerprint(STATUTORY_FILE)


# Loaded notices by (year, content hash): a notice's content never changes under its hash.
_notices: dict[tuple[int, str], DeclaredYear] = {}


@lru_cache(maxsize=8)
def _cached(
    ruleset: tuple[tuple[str, int], tuple[str, int]],
    overrides: tuple[Override, ...],
    notices: tuple[tuple[int, str], ...] = (),
    this_year: int = 0,
) -> WorkCalendar:
    # Keyed by the ruleset files' mtimes, the loaded notices' hashes, the full override list and
    # the current year (the provisional horizon moves with it): any change is a new key.
    declared = [*load_declared_years(Path(ruleset[0][0])), *(_notices[k] for k in notices)]
    statutory = load_statutory_rules(Path(ruleset[1][0]))
    return build_calendar(declared, overrides, statutory, this_year or None)


def base_calendar() -> WorkCalendar:
    """The package, the ruleset's declared years and provisional years, without the store's
    loaded notices and overrides."""
    return _cached(_ruleset_fingerprint(), (), (), date.today().year)


def missing_notice_warning(calendar: WorkCalendar, today: date) -> tuple[str, str] | None:
    """(English, Chinese) warning when, from ``notice_warning_from`` (1 November), next year has
    no State Council notice loaded; None otherwise."""
    rules = load_statutory_rules(get_settings().ruleset_dir / STATUTORY_FILE)
    nxt = today.year + 1
    if rules is None or not rules.warns_on(today) or nxt in calendar.noticed_years():
        return None
    return (
        f"No State Council holiday notice is loaded for {nxt}: working days in {nxt} are computed "
        "provisionally from the statutory holidays. Load it with `xinyong calendar load-notice FILE` "
        "as soon as it is published.",
        f"尚未导入{nxt}年国务院节假日安排通知：{nxt}年的工作日{BASIS_ZH[PROVISIONAL]}。"
        "通知发布后请立即导入（xinyong calendar load-notice 或 控制台「规则与日历」）。",
    )


def list_overrides(session: Session) -> list[Override]:
    rows = session.execute(
        select(
            CalendarOverride.day, CalendarOverride.is_workday, CalendarOverride.name, CalendarOverride.source
        ).order_by(CalendarOverride.day)
    )
    return [
        Override(day=r.day, is_workday=r.is_workday, name=r.name or "", source=r.source or "") for r in rows
    ]


def _notice_keys(session: Session) -> tuple[tuple[int, str], ...]:
    keys = tuple(
        (int(r.year), str(r.content_hash))
        for r in session.execute(
            select(CalendarNotice.year, CalendarNotice.content_hash).order_by(CalendarNotice.year)
        )
    )
    missing = [k for k in keys if k not in _notices]
    if missing:
        for row in session.scalars(
            select(CalendarNotice).where(CalendarNotice.year.in_([y for y, _ in missing]))
        ):
            _notices[(row.year, row.content_hash)] = notice_as_declared(row)
    return keys


def notice_as_declared(row: CalendarNotice) -> DeclaredYear:
    """A stored notice as a declared year (its ranges expanded to days)."""
    where = f"notice {row.year}"
    return DeclaredYear(
        year=row.year,
        holidays=_expand(row.holidays, row.year, where),
        workdays=_expand(row.workdays, row.year, where),
        effective_from=row.published_on,
        source=row.source,
    )


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar in force: package, ruleset years, loaded notices, provisional years and the
    store's overrides. Cached by content, so a loaded notice or a changed override (from any
    process) gives a fresh calendar."""
    return _cached(
        _ruleset_fingerprint(), tuple(list_overrides(session)), _notice_keys(session), date.today().year
    )


def add_override(
    session: Session, day: date, is_workday: bool, name: str, source: str = "", *, by: str = ""
) -> Override:
    """Record (or replace) a city's correction of one day; the caller commits. A rule-table
    change, so it is appended to the ledger in the same transaction."""
    name, source = name.strip(), source.strip()
    if not name:
        raise InvalidInput(
            "An override needs a name (e.g. the local holiday)",
            "请填写调整的名称（如地方节日或调休说明）",
            field="name",
        )
    if len(name) > 100:
        raise InvalidInput(
            "Override name longer than 100 characters", "名称超过100个字符", field="name", value=name
        )
    row = session.get(CalendarOverride, day)
    if row is None:
        session.add(CalendarOverride(day=day, is_workday=is_workday, name=name, source=source))
    else:
        row.is_workday, row.name, row.source = is_workday, name, source
    session.flush()
    from xinyong.core import ledger  # the ledger imports settings only; kept local for start-up

    ledger.append(
        session,
        "calendar.override",
        f"calendar:{day.isoformat()}",
        {"day": day.isoformat(), "is_workday": is_workday, "name": name, "source": source, "by": by},
    )
    return Override(day=day, is_workday=is_workday, name=name, source=source)


def remove_override(session: Session, day: date) -> bool:
    """Delete the override of ``day``; False when there was none."""
    row = session.get(CalendarOverride, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    from xinyong.core import ledger

    ledger.append(
        session, "calendar.override_removed", f"calendar:{day.isoformat()}", {"day": day.isoformat()}
    )
    return True
