"""A provisional year: the statutory holidays of a year whose State Council notice is not loaded.

The State Council publishes each year's holiday arrangement (国务院办公厅关于YYYY年部分节假日安排的
通知) in November or December of the year before. Until it is loaded, a deadline that reaches the
new year is computed from 《全国年节及纪念日放假办法》 itself, as described by
``rulesets/<ruleset>/statutory_holidays.yaml``:

- the statutory days (lunar dates through ``lunar_python``; 清明 from the solar term);
- Saturdays and Sundays;
- 补假 (Art. 6): each statutory day on a Saturday or Sunday (or on another statutory day) is made up
  on the first working days after that holiday's block;
- no 调休: working weekends are decided by the notice and never guessed.

The calendar marks such years ``provisional``; the daily job recomputes what used them once the
notice is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from lunar_python import Lunar
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xinyong.core.errors import RulesetInvalid


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatutoryHoliday(_Strict):
    """One statutory holiday: where its first day falls and how many days it has."""

    name: str = Field(min_length=1)
    solar: str | None = Field(default=None, pattern=r"^\d{2}-\d{2}$")  # MM-DD
    lunar: str | None = Field(default=None, pattern=r"^\d{2}-\d{2}$")  # lunar MM-DD
    solar_term: str | None = None  # e.g. 清明
    offset: int = 0  # days from the anchor to the first day (春节: -1, 除夕)
    days: int = Field(ge=1, le=10)

    @model_validator(mode="after")
    def _one_anchor(self) -> StatutoryHoliday:
        if sum(x is not None for x in (self.solar, self.lunar, self.solar_term)) != 1:
            raise ValueError(f"{self.name}: give exactly one of solar, lunar, solar_term")
        return self

    def first_day(self, year: int) -> date:
        if self.solar is not None:
            month, day = (int(x) for x in self.solar.split("-"))
            anchor = date(year, month, day)
        elif self.lunar is not None:
            month, day = (int(x) for x in self.lunar.split("-"))
            s = Lunar.fromYmd(year, month, day).getSolar()
            anchor = date(s.getYear(), s.getMonth(), s.getDay())
        else:
            anchor = _solar_term(year, str(self.solar_term))
        return anchor + timedelta(days=self.offset)

    def dates(self, year: int) -> list[date]:
        first = self.first_day(year)
        return [first + timedelta(days=i) for i in range(self.days)]


class StatutoryVersion(_Strict):
    """The holiday list of one revision of the 放假办法, in force from ``effective_from``."""

    effective_from: date
    source: str = Field(min_length=1)
    provisional_years_ahead: int = Field(ge=0, le=20)
    make_up_weekend: bool = True
    make_up_overlap: bool = True
    holidays: list[StatutoryHoliday] = Field(min_length=1)


class StatutoryRules(_Strict):
    # From this day of the year (MM-DD) the console and the daily job warn when next year's
    # notice is not loaded yet.
    notice_warning_from: str = Field(default="11-01", pattern=r"^\d{2}-\d{2}$")
    versions: list[StatutoryVersion] = Field(min_length=1)

    def warns_on(self, today: date) -> bool:
        month, day = (int(x) for x in self.notice_warning_from.split("-"))
        return today >= date(today.year, month, day)

    def for_year(self, year: int) -> StatutoryVersion | None:
        """The version in force on 1 January of ``year`` (None before the first)."""
        found = [v for v in self.versions if v.effective_from <= date(year, 1, 1)]
        return max(found, key=lambda v: v.effective_from) if found else None

    def first_year(self) -> int:
        return min(v.effective_from for v in self.versions).year


@dataclass(frozen=True)
class ProvisionalYear:
    """The days off of a year computed from the 放假办法 (weekends not listed)."""

    year: int
    statutory: dict[date, str]  # statutory day -> holiday name
    make_up: dict[date, str]  # 补假 day -> e.g. 国庆节补假
    source: str

    @property
    def holidays(self) -> dict[date, str]:
        return {**self.statutory, **self.make_up}


def _solar_term(year: int, term: str) -> date:
    # A lunar year's table spans two solar years; take the term that falls in ``year``.
    for lunar_year in (year, year - 1):
        s = Lunar.fromYmd(lunar_year, 6, 1).getJieQiTable().get(term)
        if s is not None and s.getYear() == year:
            return date(s.getYear(), s.getMonth(), s.getDay())
    raise ValueError(f"solar term {term!r} not found in {year}")


def statutory_days(version: StatutoryVersion, year: int) -> list[tuple[str, list[date]]]:
    """Each statutory holiday of ``year`` with its days, in date order."""
    return sorted(((h.name, h.dates(year)) for h in version.holidays), key=lambda x: x[1][0])


def provisional_year(version: StatutoryVersion, year: int) -> ProvisionalYear:
    """The statutory days of ``year`` and their 补假 (see the module text)."""
    blocks = statutory_days(version, year)
    statutory: dict[date, str] = {}
    owed: list[int] = []
    for name, days in blocks:
        n = 0
        for d in days:
            on_weekend = version.make_up_weekend and d.weekday() >= 5
            on_other = version.make_up_overlap and d in statutory
            n += on_weekend or on_other
            statutory.setdefault(d, name)
        owed.append(n)
    make_up: dict[date, str] = {}
    for (name, days), n in zip(blocks, owed, strict=True):
        d = max(days)
        while n > 0:
            d += timedelta(days=1)
            if d.weekday() < 5 and d not in statutory and d not in make_up:
                make_up[d] = f"{name}补假"
                n -= 1
    return ProvisionalYear(year=year, statutory=statutory, make_up=make_up, source=version.source)


def load_statutory_rules(path: Path) -> StatutoryRules | None:
    """The ruleset's ``statutory_holidays.yaml`` (None if the file is absent: no provisional years)."""
    if not path.exists():
        return None
    return _load(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int) -> StatutoryRules:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return StatutoryRules.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        name = Path(path).name
        raise RulesetInvalid(
            f"Ruleset file {name} is invalid: {exc}",
            f"规则集文件 {name} 有误：{exc}",
            file=name,
            rule="schema",
        ) from exc


def reset_statutory_rules_cache() -> None:
    """Forget the loaded statutory holiday rules (the next load reads the file again)."""
    _load.cache_clear()


def provisional_years(
    rules: StatutoryRules, noticed: Iterable[int], this_year: int
) -> dict[int, ProvisionalYear]:
    """Every year from the first version's year up to the horizon that has no notice."""
    known = set(noticed)
    # The horizon runs from the end of the unbroken run of noticed years (a far-off declared year
    # does not stretch it) or from this year, whichever is later.
    last = rules.first_year() - 1
    while last + 1 in known:
        last += 1
    last = max(last, this_year)
    out: dict[int, ProvisionalYear] = {}
    version = rules.for_year(last)
    horizon = last + (version.provisional_years_ahead if version else 0)
    for year in range(rules.first_year(), horizon + 1):
        v = rules.for_year(year)
        if year not in known and v is not None:
            out[year] = provisional_year(v, year)
    return out
