"""Evaluation tables: model versions, runs and per-subject results (migration 0007).

The subject's CURRENT grade lives in the credit state row (``credit_states.grade`` ...), written
only by the evaluation step; these tables keep every model version, every run and every
result, so any past grade can be traced to its model version and data snapshot.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# Integer on SQLite so it is the rowid alias (autoincrement); BIGINT elsewhere.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

MODEL_STATUSES = ("published", "draft")
RUN_KINDS = ("batch", "incremental", "draft", "backtest")


class EvaluationModel(Base):
    """One version of one model: a published version (from the ruleset's model files) or a
    draft a credit office uploaded to preview."""

    __tablename__ = "evaluation_models"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvaluationRun(Base):
    """One evaluation: which model version, on which data snapshot, by which engine."""

    __tablename__ = "evaluation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("evaluation_models.id"), index=True)
    model_code: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    engine: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[date] = mapped_column(Date)  # the evaluation date windows count back from
    # The data snapshot: records as they stood at this moment (reproducible from the versions).
    snapshot_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)  # grades that differ from the state row
    grade_counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    results_digest: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class EvaluationResult(Base):
    """One subject's result in one run (its history is its results in run order)."""

    __tablename__ = "evaluation_results"
    __table_args__ = (Index("ix_evaluation_results_subject_run", "subject_id", "run_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"), index=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    grade: Mapped[str] = mapped_column(String(8))
    score_grade: Mapped[str] = mapped_column(String(8))  # the grade the score alone gives
    veto: Mapped[str | None] = mapped_column(String(64))
    cap: Mapped[str | None] = mapped_column(String(64))
    dimensions: Mapped[dict[str, str]] = mapped_column(JSONType)  # dimension → score 0..100
    points: Mapped[dict[str, str]] = mapped_column(JSONType)  # indicator → points 0..100
    features: Mapped[dict[str, Any]] = mapped_column(JSONType)  # indicator → feature value
    cites: Mapped[dict[str, list[int]]] = mapped_column(JSONType)  # indicator → record ids
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
