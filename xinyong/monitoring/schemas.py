"""API shapes of the monitoring indicators."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SeriesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    values: list[float | None]


class IndicatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    shape: str
    unit: str
    source: str
    categories: list[str]
    series: list[SeriesOut]
    value: float | None
    target_min: float | None
    target_max: float | None
    meets_target: bool | None
    available: bool
    district_applies: bool
    note: str


class DashboardOut(BaseModel):
    month: str
    first_month: str
    district: str
    district_name: str | None
    indicators_version: str
    indicators: list[IndicatorOut]
