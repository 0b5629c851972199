"""Shapes the evaluation domain returns (service results and API responses)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from xinyong.core.params import UtcDateTime


class ModelInfo(BaseModel):
    id: int
    code: str
    version: str
    status: str  # published | draft
    name_zh: str
    subject_kinds: list[str]
    effective_from: date
    content_hash: str
    source_file: str | None
    created_at: UtcDateTime | None


class ModelDetail(ModelInfo):
    content: dict[str, Any]


class RunInfo(BaseModel):
    id: int
    model_code: str
    model_version: str
    kind: str  # batch | incremental | draft | backtest
    engine: str
    as_of: date
    snapshot_at: UtcDateTime
    started_at: UtcDateTime
    finished_at: UtcDateTime | None
    subjects: int
    changed: int
    grade_counts: dict[str, int]
    results_digest: str | None


class Reason(BaseModel):
    """Why a grade is what it is: a veto, a cap, or an indicator that cost or gained points
    against a subject with nothing on file, citing the records it rests on and the rule."""

    kind: Literal["veto", "cap", "cost", "gain"]
    code: str
    name_zh: str
    dimension: str | None = None
    points: Decimal | None = None  # points gained (+) or lost (−) on the model's scale
    value: str | None = None  # the feature value
    record_ids: list[int] = []
    rule_zh: str
    source: str


class SubjectResult(BaseModel):
    """One subject's evaluation (stored, or computed for a what-if / draft)."""

    subject_id: int
    model_code: str
    model_version: str
    run_id: int | None
    as_of: date
    snapshot_at: UtcDateTime | None
    score: Decimal
    grade: str
    grade_label_zh: str  # 优 / 良 / 中 / 差
    grade_name_zh: str  # 优秀 / 良好 / 中等 / 较差
    grade_display_zh: str  # 「B（良好）」: the one display form (evaluation.model.grade_display)
    score_grade: str
    veto: str | None
    cap: str | None
    dimensions: dict[str, Decimal]
    dimension_names_zh: dict[str, str]
    points: dict[str, Decimal]
    features: dict[str, str]
    cites: dict[str, list[int]]
    reasons: list[Reason]


class HistoryEntry(BaseModel):
    run_id: int
    kind: str
    model_code: str
    model_version: str
    as_of: date
    snapshot_at: UtcDateTime
    score: Decimal
    grade: str
    veto: str | None
    cap: str | None


class RecordWhatIf(BaseModel):
    """One negative record in force: the grade if it were repaired or expired today, and the
    day its publicity window ends by itself."""

    record_id: int
    item_code: str
    category: str
    severity: str | None
    decision_date: date | None
    publicity_end: date | None  # last day shown
    ends_on: date | None  # the first day it no longer counts (the day after publicity_end)
    score_without: Decimal
    grade_without: str
    changes_grade: bool


class TimelinePoint(BaseModel):
    """The grade on a future day if nothing else changes (windows end, decay moves on)."""

    on: date
    score: Decimal
    grade: str
    records_ended: list[int]


class WhatIf(BaseModel):
    subject_id: int
    current: SubjectResult
    records: list[RecordWhatIf]
    all_repaired: SubjectResult | None
    timeline: list[TimelinePoint]


class GradeShare(BaseModel):
    grade: str
    label_zh: str
    display_zh: str  # 「B（良好）」
    count: int
    share: Decimal
    target: Decimal


class PsiRow(BaseModel):
    dimension: str
    name_zh: str
    psi: Decimal
    status: Literal["stable", "watch", "shift"]


class RunReport(BaseModel):
    run: RunInfo
    distribution: list[GradeShare]
    compared_to: RunInfo | None = None
    migration: dict[str, dict[str, int]] | None = None  # from grade → to grade → subjects
    psi: list[PsiRow] | None = None
    psi_stable_below: Decimal
    psi_shift_from: Decimal


class Backtest(BaseModel):
    """Does a low grade predict serious penalties in the following months? SYNTHETIC data."""

    synthetic: bool
    label_zh: str
    model_code: str
    model_version: str
    cutoff: date
    horizon_months: int
    subjects: int
    positives: int  # subjects with a serious penalty decided in (cutoff, cutoff + horizon]
    auc: Decimal | None
    ks: Decimal | None
    rate_by_grade: dict[str, dict[str, Decimal | int]]


class DraftPreview(BaseModel):
    draft: ModelInfo
    run: RunInfo
    distribution: list[GradeShare]
    published_counts: dict[str, int]
    migration: dict[str, dict[str, int]]


class DraftIn(BaseModel):
    """A draft model: the model file's content as YAML text or as a JSON object."""

    yaml: str | None = None
    content: dict[str, Any] | None = None
    note: str = ""


class RunIn(BaseModel):
    engine: Literal["duckdb", "spark"] = "duckdb"
    as_of: date | None = None
