"""The monitoring indicators as data (``rulesets/default/monitoring/indicators.yaml``): each a
read-only SQL query over the derived state, its result shape, unit, target and source."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.settings import get_settings

Shape = Literal["by_category", "series", "rate_series", "scalar", "rate"]
_READ_ONLY = re.compile(r"^\s*(SELECT|WITH)\b", re.IGNORECASE)
_WRITES = re.compile(
    r"\b(INSERT|UPDATE|DELETE|DROP|ALTER|CREATE|TRUNCATE|GRANT|COPY|ATTACH|PRAGMA)\b", re.IGNORECASE
)


class Target(BaseModel):
    min: float | None = None
    max: float | None = None

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Indicator(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name_zh: str
    shape: Shape
    unit: str = ""
    sql: str
    source: str = Field(min_length=1)
    labels: str | None = None
    target: Target | None = None
    district: bool = True  # False: the query is city-wide (the district filter does not apply)
    requires_tables: list[str] = []

    @field_validator("sql")
    @classmethod
    def _read_only(cls, sql: str) -> str:
        # A ruleset is edited by the city's staff; still, a monitoring query only reads.
        if not _READ_ONLY.match(sql) or ";" in sql.strip().rstrip(";") or _WRITES.search(sql):
            raise ValueError("an indicator's sql must be one read-only SELECT or WITH query")
        return sql.strip().rstrip(";")


class IndicatorSet(BaseModel):
    version: str
    effective_from: date
    source: str
    months: int = Field(ge=1, le=60)
    indicators: list[Indicator] = Field(min_length=1)
    labels: dict[str, dict[str, str]] = {}

    @model_validator(mode="after")
    def _check(self) -> IndicatorSet:
        codes = [i.code for i in self.indicators]
        if len(codes) != len(set(codes)):
            raise ValueError("indicator codes must be unique")
        for i in self.indicators:
            if i.labels is not None and i.labels not in self.labels:
                raise ValueError(f"indicator {i.code} names unknown labels {i.labels}")
        return self

    def get(self, code: str) -> Indicator:
        for i in self.indicators:
            if i.code == code:
                return i
        raise NotFound(
            f"No indicator {code}", f"监测指标 {code} 不存在", code="monitoring.unknown_indicator", value=code
        )


def load_indicators(path: Path) -> IndicatorSet:
    try:
        return IndicatorSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise InvalidInput(
            f"Bad monitoring indicators {path.name}: {exc}",
            f"监测指标文件 {path.name} 有误：{exc}",
            code="monitoring.bad_indicators",
            field=path.name,
        ) from exc


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> IndicatorSet:
    return load_indicators(Path(path))


def get_indicators() -> IndicatorSet:
    path = Path(get_settings().ruleset_dir) / "monitoring" / "indicators.yaml"
    return _cached(str(path), path.stat().st_mtime)


def reset_indicators_cache() -> None:
    _cached.cache_clear()
