"""Running the indicators: each query with the period and district as parameters, its rows
shaped into categories and series (months bucketed in China time), its target checked."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, bindparam, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from xinyong.core import months
from xinyong.core.clock import CHINA_TZ
from xinyong.core.errors import InvalidInput
from xinyong.monitoring.indicators import Indicator, IndicatorSet

_DISTRICT = r"^\d{6}$"


@dataclass
class SeriesData:
    name: str
    values: list[float | None]


@dataclass
class IndicatorResult:
    code: str
    name_zh: str
    shape: str
    unit: str
    source: str
    categories: list[str] = field(default_factory=list)
    series: list[SeriesData] = field(default_factory=list)
    value: float | None = None  # scalar / rate, or the report month's value of a series
    target_min: float | None = None
    target_max: float | None = None
    meets_target: bool | None = None
    available: bool = True  # False: a required table is missing (the domain is not built yet)
    district_applies: bool = True
    note: str = ""


@dataclass
class Period:
    month: date  # the report month (its first day)
    first: date  # the first month of the window
    district: str  # '' = the whole city

    @property
    def months(self) -> list[date]:
        out, m = [], self.first
        while m <= self.month:
            out.append(m)
            m = months.shift(m, 1)
        return out


def period(month: date, district: str | None, window: int) -> Period:
    d = (district or "").strip()
    if d and not (len(d) == 6 and d.isdigit()):
        raise InvalidInput(
            f"district must be a 6-digit division code, got {district!r}",
            f"县（市、区）应为6位行政区划代码，收到“{district}”",
            code="monitoring.bad_district",
            field="district",
            value=district,
        )
    return Period(month, months.shift(month, -(window - 1)), d)


def _params(p: Period) -> dict[str, Any]:
    start, _ = months.bounds(p.first)
    _, end = months.bounds(p.month)
    return {
        "district": p.district,
        "start": start.astimezone(UTC),
        "end": end.astimezone(UTC),
        "start_day": p.first,
        "end_day": months.shift(p.month, 1),
    }


def _month_of(value: Any) -> date | None:
    """The China-time month of a date, a datetime (naive = UTC) or their ISO text (SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        text_value = value.strip()
        try:
            value = (
                datetime.fromisoformat(text_value) if len(text_value) > 10 else date.fromisoformat(text_value)
            )
        except ValueError:
            return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(CHINA_TZ)
        return date(local.year, local.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    return None


def _num(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, Decimal):
        return float(v)
    return float(v)


def _has_tables(session: Session, names: list[str]) -> bool:
    insp = inspect(session.connection())
    return all(insp.has_table(n) for n in names)


def _query(session: Session, ind: Indicator, params: dict[str, Any]) -> list[Any]:
    used = {k: v for k, v in params.items() if re.search(rf":{k}\b", ind.sql)}
    stmt = text(ind.sql)
    types: dict[str, Any] = {
        "start": DateTime(timezone=True),
        "end": DateTime(timezone=True),
        "start_day": Date(),
        "end_day": Date(),
    }
    stmt = stmt.bindparams(*(bindparam(k, type_=types[k]) for k in used if k in types))
    # A savepoint: a failing query (say, a city's new indicator) leaves the transaction usable.
    with session.begin_nested():
        return list(session.execute(stmt, used))


def run_indicator(session: Session, ind: Indicator, indicators: IndicatorSet, p: Period) -> IndicatorResult:
    res = IndicatorResult(
        ind.code,
        ind.name_zh,
        ind.shape,
        ind.unit,
        ind.source,
        target_min=ind.target.min if ind.target else None,
        target_max=ind.target.max if ind.target else None,
        district_applies=ind.district,
    )
    if ind.requires_tables and not _has_tables(session, ind.requires_tables):
        res.available = False
        res.note = "相关功能尚未上线，暂无数据"
        return res
    if p.district and not ind.district:
        res.note = "该指标为全市口径，不按县（市、区）筛选"
    try:
        rows = _query(session, ind, _params(p))
    except DBAPIError as exc:
        res.available = False
        res.note = f"指标查询失败：{str(exc.orig)[:200]}"
        return res
    labels = indicators.labels.get(ind.labels or "", {})
    if ind.shape == "by_category":
        for row in rows:
            key = "" if row[0] is None else str(row[0])
            res.categories.append(labels.get(key, key or "未填报"))
        res.series = [SeriesData(ind.name_zh, [_num(r[1]) for r in rows])]
        res.value = sum(v or 0.0 for v in res.series[0].values)  # the total over the categories
    elif ind.shape in ("scalar", "rate"):
        first: Any = rows[0] if rows else (None, None)
        if ind.shape == "scalar":
            res.value = None if first[0] is None else _num(first[0])
        else:
            whole = _num(first[1])
            res.value = round(_num(first[0]) / whole, 6) if whole else None
    else:
        window = p.months
        res.categories = [months.key(m) for m in window]
        index = {m: i for i, m in enumerate(window)}
        if ind.shape == "rate_series":
            num, den = [0.0] * len(window), [0.0] * len(window)
            for row in rows:
                m = _month_of(row[0])
                if m in index:
                    num[index[m]] += _num(row[1])
                    den[index[m]] += _num(row[2])
            values = [round(n / d, 6) if d else None for n, d in zip(num, den, strict=True)]
            res.series = [SeriesData(ind.name_zh, values)]
        else:
            by: dict[str, list[float | None]] = defaultdict(lambda: [0.0] * len(window))
            for row in rows:
                m = _month_of(row[0])
                if m not in index:
                    continue
                name, value = (ind.name_zh, row[1]) if len(row) == 2 else (str(row[1]), row[2])
                name = labels.get(name, name)
                cur = by[name][index[m]]
                by[name][index[m]] = (cur or 0.0) + _num(value)
            res.series = [SeriesData(n, v) for n, v in sorted(by.items())]
        last = [s.values[-1] for s in res.series if s.values and s.values[-1] is not None]
        if ind.shape == "series":
            res.value = sum(v for v in last if v is not None)  # nothing in the month: 0
        else:
            res.value = last[0] if last else None  # no rows with a verdict: no share
    if ind.target is not None:
        res.meets_target = ind.target.met(res.value)
    return res


def run_all(session: Session, indicators: IndicatorSet, p: Period) -> list[IndicatorResult]:
    return [run_indicator(session, ind, indicators, p) for ind in indicators.indicators]
