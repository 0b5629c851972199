"""The objections table: one row per objection (异议) with its current state; its history,
deadlines, attachments, letters and lookup code are casework's (kind ``objection``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, utcnow

# filed → compared ─┬─ (differs) → correcting → corrected
#                   └─ (matches) → referred (disclosure suspended) ─reply─┬ holds → correcting → corrected
#                                                                        ├ not_holds → upheld
#                                                                        └ unverifiable → suspended
# any open state ─withdraw→ withdrawn; staff may decide upheld / suspended from an open state.
OPEN_STATUSES = ("filed", "referred", "correcting")
FINAL_STATUSES = ("corrected", "upheld", "suspended", "withdrawn")
STATUSES = OPEN_STATUSES + FINAL_STATUSES


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    # The department that provided the record (谁提供、谁核查).
    provider_code: Mapped[str] = mapped_column(String(32), index=True)
    ground: Mapped[str] = mapped_column(String(32))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    schedule: Mapped[str] = mapped_column(String(32))
    schedule_from: Mapped[date] = mapped_column(Date)  # the schedule version it follows
    channel: Mapped[str] = mapped_column(String(16))  # online | window (staff on the applicant's behalf)
    applicant_name: Mapped[str] = mapped_column(String(200))
    filed_by: Mapped[str] = mapped_column(String(100))
    received_on: Mapped[date] = mapped_column(Date, index=True)
    compare_result: Mapped[str | None] = mapped_column(String(16))  # differs | matches
    compared_on: Mapped[date | None] = mapped_column(Date)
    referred_on: Mapped[date | None] = mapped_column(Date)
    reply_result: Mapped[str | None] = mapped_column(String(16))  # holds | not_holds | unverifiable
    replied_on: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    disclosure_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_on: Mapped[date | None] = mapped_column(Date)
    corrected_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
