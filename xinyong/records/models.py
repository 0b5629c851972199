"""Record tables. Versions are append-only; the record row carries the current status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# purged: the retention period ended and the content was deleted (records.retention);
# pending: waits for its department's approval (records.approval).
RECORD_STATUSES = ("in_force", "publicity_ended", "withdrawn", "purged", "pending")


class Record(Base):
    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("provider_id", "item_code", "document_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    # No index of its own: the unique key (provider_id, item_code, document_number) serves it.
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    document_number: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="in_force", index=True)
    severity: Mapped[str | None] = mapped_column(String(16))  # minor|general|serious
    severity_rule: Mapped[str | None] = mapped_column(String(100))  # which rule decided it
    decision_date: Mapped[date | None] = mapped_column(Date, index=True)
    publicity_rule: Mapped[str | None] = mapped_column(String(100))
    publicity_start: Mapped[date | None] = mapped_column(Date)
    publicity_min_end: Mapped[date | None] = mapped_column(Date)
    publicity_end: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class RecordVersion(Base):
    """One immutable version of a record's content (or a status change such as 撤销)."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))  # unique (record_id, version)
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(20))  # created|corrected|withdrawn|publicity_ended|approved
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)  # catalog field code -> normalised value
    content_hash: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Why a version was made other than by a submission: "objection" (a correction decided on
    # an objection), "repair" (publicity ended early by a credit repair).
    reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
