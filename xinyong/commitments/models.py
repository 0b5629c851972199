"""The commitments table: one row per commitment signed on the platform. Its history, deadlines,
attachments, 承诺书 and lookup code are casework's (kind ``commitment``); the published record
is the records domain's (``record_id``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, utcnow


class Commitment(Base):
    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    commitment_type: Mapped[str] = mapped_column(String(32))
    matter: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(String(64), index=True)  # the accepting department
    # signed → supplied (容缺 materials in) → fulfilled | breached
    status: Mapped[str] = mapped_column(String(16), index=True)
    schedule: Mapped[str] = mapped_column(String(32))
    signed_by: Mapped[str] = mapped_column(String(100))  # the logged-in identity that signed
    signed_on: Mapped[date] = mapped_column(Date)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[date] = mapped_column(Date)
    letter_number: Mapped[str | None] = mapped_column(String(100), unique=True)  # the 承诺书 number
    text: Mapped[str] = mapped_column(Text, default="")  # the 承诺书 as signed
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    decided_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
