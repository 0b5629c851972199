"""API shapes of the quality scorecards."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from xinyong.core.params import UtcDateTime


class MetricsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rows_total: int
    submissions: int
    timeliness: float | None
    required_complete: float | None
    optional_filled: float | None
    completeness: float | None
    accuracy: float | None
    rows_rejected: int
    rows_corrected: int
    upheld_objections: int | None
    codes: int
    error_codes: int
    code_error_per_10000: float | None
    volume_change: float | None
    previous_rows: int
    missing_months: int
    parts: dict[str, float | None]
    score: float


class ItemCardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_code: str
    item_name: str
    metrics: MetricsOut


class ScorecardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: str
    provider_code: str
    provider_name: str
    score: float
    rank: int
    rules_version: str
    metrics: MetricsOut
    items: list[ItemCardOut]
    computed_at: UtcDateTime
    pushed_at: UtcDateTime | None


class QualityReportOut(BaseModel):
    month: str
    departments: int
    stored: bool  # False: computed on request, not yet published
    scorecards: list[ScorecardOut]
