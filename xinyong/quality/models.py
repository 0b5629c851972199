"""Quality tables: one scorecard per department and month (kept, so a ranking does not move
when it is read later, and so each department's scorecard is pushed once)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow


class QualityScorecard(Base):
    __tablename__ = "quality_scorecards"
    __table_args__ = (UniqueConstraint("month", "provider_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    provider_code: Mapped[str] = mapped_column(String(32))
    provider_name: Mapped[str] = mapped_column(String(200))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    rank: Mapped[int] = mapped_column(Integer)
    rules_version: Mapped[str] = mapped_column(String(32))
    # The department's totals and each item's (quality.scoring.Metrics as JSON).
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
