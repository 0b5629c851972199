"""The credit state table: one derived row per subject. Written only by this package: the
counts by its consumer (``consumer.py``), the grade and the lists through ``service.py``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow


class CreditState(Base):
    """The derived credit state of one subject, kept by the event consumer. Later domains add
    grade, list memberships and measures in force."""

    __tablename__ = "credit_states"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    # {"行政许可": 3, "行政处罚": 1, "行政处罚:serious": 1, ...} counts of in-force records
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    records_in_force: Mapped[int] = mapped_column(Integer, default=0)
    negative_in_force: Mapped[int] = mapped_column(Integer, default=0)
    serious_in_force: Mapped[int] = mapped_column(Integer, default=0)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    last_change_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written ONLY for the evaluation step (xinyong.evaluation, migration 0007) through
    # ``service.set_evaluations``: the subject's current grade and what produced it.
    grade: Mapped[str | None] = mapped_column(String(8), index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    model_code: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(32))
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written ONLY for the lists consumer (xinyong.lists, migration 0008) through
    # ``service.set_list_memberships``: the subject's current list memberships and liabilities.
    lists: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
