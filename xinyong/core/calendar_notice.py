"""Loading a year's State Council holiday notice in one step (``xinyong calendar load-notice``).

The notice (国务院办公厅关于YYYY年部分节假日安排的通知) is typed in as a small YAML or JSON file::

    year: 2027
    source: 国办发明电〔2026〕N号 国务院办公厅关于2027年部分节假日安排的通知
    published_on: 2026-11-20
    holidays:                       # each 「放假调休，共N天」 range of the notice
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03, days: 3}
      - {name: 春节, from: 2027-02-05, to: 2027-02-13, days: 9}
    workdays:                       # the make-up working days (上班), usually weekends
      - {name: 春节调休, date: 2027-02-14}

It is checked before anything is stored: every range's length equals its 「共N天」 count, every
statutory day of the 放假办法 lies inside a range, no range overlaps another or a make-up
working day, make-up working days are Saturdays or Sundays. Each problem names the field, the
value and the rule. The stored notice replaces the provisional year at once; the daily job then
recomputes the dates that used the provisional year. Staff load it through
``catalog.calendar.load_notice``, which also appends it to the ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.calendar import STATUTORY_FILE
from xinyong.core.errors import InvalidInput
from xinyong.core.models import CalendarNotice
from xinyong.core.settings import get_settings
from xinyong.core.statutory_holidays import load_statutory_rules, statutory_days


@dataclass(frozen=True)
class NoticeSummary:
    year: int
    source: str
    published_on: date
    holidays: list[dict[str, Any]]
    workdays: list[dict[str, Any]]
    replaced: bool  # a notice of that year was loaded before
    content_hash: str


def _problem(field: str, value: Any, rule: str, message: str, message_zh: str) -> dict[str, Any]:
    return {
        "field": field,
        "value": value if value is None or isinstance(value, int | str) else str(value),
        "rule": rule,
        "message": message,
        "message_zh": message_zh,
    }


def _day(value: Any, field: str, problems: list[dict[str, Any]]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(
            _problem(
                field,
                value,
                "calendar.notice.date",
                f"not a date (YYYY-MM-DD): {value!r}",
                f"不是有效日期（应为 YYYY-MM-DD）：{value}",
            )
        )
        return None


def read_notice_file(path: Path) -> Any:
    """The parsed YAML or JSON of a notice file (JSON is YAML too)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(
            f"Cannot read the notice file {path.name}: {exc}",
            f"无法读取通知文件 {path.name}：{exc}",
            code="calendar.notice.unreadable",
            field="file",
            value=path.name,
        ) from exc


def validate_notice(raw: Any) -> tuple[int, str, date, list[dict[str, Any]], list[dict[str, Any]]]:
    """Check a notice (see the module text); answer (year, source, published_on, holidays,
    workdays) normalised to ISO dates, or raise one ``InvalidInput`` listing every problem."""
    problems: list[dict[str, Any]] = []
    if not isinstance(raw, dict):
        raise InvalidInput(
            "The notice must be a mapping with year, source, published_on, holidays, workdays",
            "通知文件应包含 year、source、published_on、holidays、workdays 字段",
            code="calendar.notice.shape",
            field="file",
        )
    try:
        year = int(raw.get("year"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(
            f"year is not a year: {raw.get('year')!r}",
            f"year 不是有效年份：{raw.get('year')}",
            code="calendar.notice.year",
            field="year",
            value=str(raw.get("year")),
        ) from None
    source = str(raw.get("source") or "").strip()
    if not source:
        problems.append(
            _problem(
                "source",
                None,
                "calendar.notice.source",
                "source (the notice's number and title) is required",
                "请填写通知的文号和标题（source）",
            )
        )
    published = _day(raw.get("published_on"), "published_on", problems)
    if published is not None and published.year > year:
        problems.append(
            _problem(
                "published_on",
                published.isoformat(),
                "calendar.notice.published_after_year",
                f"a notice for {year} is published before or during {year}",
                f"{year}年的通知应在{year}年或之前发布",
            )
        )

    ranges: list[tuple[str, date, date]] = []
    holidays: list[dict[str, Any]] = []
    for i, entry in enumerate(raw.get("holidays") or []):
        where = f"holidays[{i}]"
        if not isinstance(entry, dict):
            problems.append(_problem(where, str(entry), "calendar.notice.shape", "not a mapping", "格式有误"))
            continue
        name = str(entry.get("name") or "").strip()
        if not name:
            problems.append(
                _problem(f"{where}.name", None, "calendar.notice.name", "name is required", "请填写节日名称")
            )
        first = _day(entry.get("from", entry.get("date")), f"{where}.from", problems)
        last = _day(entry.get("to", entry.get("date")), f"{where}.to", problems)
        count = entry.get("days")
        if not isinstance(count, int) or count < 1:
            problems.append(
                _problem(
                    f"{where}.days",
                    count,
                    "calendar.notice.days",
                    "days (the notice's 共N天 count) is required",
                    "请填写通知所列「共N天」的天数（days）",
                )
            )
            count = None
        if first is None or last is None:
            continue
        for d, f in ((first, "from"), (last, "to")):
            if abs(d.year - year) > 1 or (d.year == year - 1 and d.month != 12) or (d.year == year + 1):
                problems.append(
                    _problem(
                        f"{where}.{f}",
                        d.isoformat(),
                        "calendar.notice.outside_year",
                        f"{d} is outside {year} (only 元旦 may start in late December)",
                        f"{d} 不在{year}年内（仅元旦假期可从上年12月下旬开始）",
                    )
                )
        if last < first:
            problems.append(
                _problem(
                    f"{where}.to",
                    last.isoformat(),
                    "calendar.notice.range_order",
                    f"to ({last}) is before from ({first})",
                    f"结束日期（{last}）早于开始日期（{first}）",
                )
            )
            continue
        length = (last - first).days + 1
        if count is not None and length != count:
            problems.append(
                _problem(
                    f"{where}.days",
                    count,
                    "calendar.notice.count_mismatch",
                    f"{name}: {first}..{last} is {length} days, the notice says {count}",
                    f"{name}：{first}至{last}共{length}天，与通知所列「共{count}天」不符",
                )
            )
        for other_name, a, b in ranges:
            if first <= b and a <= last:
                problems.append(
                    _problem(
                        f"{where}.from",
                        first.isoformat(),
                        "calendar.notice.overlap",
                        f"{name} overlaps {other_name} ({a}..{b})",
                        f"{name}与{other_name}（{a}至{b}）的日期重叠",
                    )
                )
        ranges.append((name, first, last))
        holidays.append({"name": name, "from": first.isoformat(), "to": last.isoformat(), "days": length})

    workdays: list[dict[str, Any]] = []
    for i, entry in enumerate(raw.get("workdays") or []):
        where = f"workdays[{i}]"
        if not isinstance(entry, dict):
            problems.append(_problem(where, str(entry), "calendar.notice.shape", "not a mapping", "格式有误"))
            continue
        wd = _day(entry.get("date"), f"{where}.date", problems)
        if wd is None:
            continue
        d = wd
        name = str(entry.get("name") or "调休上班").strip()
        if d.weekday() < 5:
            problems.append(
                _problem(
                    f"{where}.date",
                    d.isoformat(),
                    "calendar.notice.workday_not_weekend",
                    f"{d} is a weekday: a make-up working day (上班) is a Saturday or Sunday",
                    f"{d} 是工作日，调休上班日应为周六或周日",
                )
            )
        if d.year != year:
            problems.append(
                _problem(
                    f"{where}.date",
                    d.isoformat(),
                    "calendar.notice.outside_year",
                    f"{d} is outside {year}",
                    f"{d} 不在{year}年内",
                )
            )
        for other_name, a, b in ranges:
            if a <= d <= b:
                problems.append(
                    _problem(
                        f"{where}.date",
                        d.isoformat(),
                        "calendar.notice.workday_in_holiday",
                        f"{d} is inside {other_name} ({a}..{b})",
                        f"{d} 在{other_name}假期（{a}至{b}）之内",
                    )
                )
        workdays.append({"name": name, "date": d.isoformat()})

    rules = load_statutory_rules(get_settings().ruleset_dir / STATUTORY_FILE)
    version = rules.for_year(year) if rules else None
    if version is not None:
        for name, days in statutory_days(version, year):
            for d in days:
                if not any(a <= d <= b for _, a, b in ranges):
                    problems.append(
                        _problem(
                            "holidays",
                            d.isoformat(),
                            "calendar.notice.statutory_day_missing",
                            f"the statutory day {d} ({name}) is in no holiday range of the notice",
                            f"法定节假日 {d}（{name}）不在通知的任何放假区间内",
                        )
                    )
    if problems:
        listing = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:10])
        listing_zh = "；".join(f"{p['field']}：{p['message_zh']}" for p in problems[:10])
        raise InvalidInput(
            f"The {year} notice was not loaded: {listing}",
            f"{year}年节假日安排未导入：{listing_zh}",
            code="calendar.notice.invalid",
            field="file",
            problems=problems,
        )
    assert published is not None  # a missing date is a problem above
    return year, source, published, holidays, workdays


def _content_hash(year: int, source: str, published: date, holidays: Any, workdays: Any) -> str:
    body = json.dumps(
        [year, source, published.isoformat(), holidays, workdays], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def store_notice(session: Session, raw: Any, *, by: str = "") -> NoticeSummary:
    """Validate and store a year's notice (replacing an earlier one of that year); the caller
    commits. The ledgered change that staff make is ``catalog.calendar.load_notice``."""
    year, source, published, holidays, workdays = validate_notice(raw)
    digest = _content_hash(year, source, published, holidays, workdays)
    row = session.get(CalendarNotice, year)
    replaced = row is not None
    if row is None:
        row = CalendarNotice(year=year)
        session.add(row)
    row.source, row.published_on, row.holidays, row.workdays = source, published, holidays, workdays
    row.content_hash, row.loaded_by = digest, by
    session.flush()
    return NoticeSummary(year, source, published, holidays, workdays, replaced, digest)


def list_notices(session: Session) -> list[CalendarNotice]:
    return list(session.scalars(select(CalendarNotice).order_by(CalendarNotice.year)))
