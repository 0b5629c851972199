"""The repairs table: one row per credit repair application with its current state; its
history, deadlines, attachments, letters and lookup code are casework's (kind ``repair``).
There is no fee column: repair is free of charge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# filed ─accept→ accepted ─decide→ granted ─(next tick)→ repaired
#   │                         └──────→ refused
#   └─reject→ rejected (不予受理);  filed / accepted ─withdraw→ withdrawn
OPEN_STATUSES = ("filed", "accepted")
FINAL_STATUSES = ("repaired", "refused", "rejected", "withdrawn")
STATUSES = (*OPEN_STATUSES, "granted", *FINAL_STATUSES)


class Repair(Base):
    __tablename__ = "repairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # penalty_publicity | list_exit | other_negative
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    list_procedure_id: Mapped[int | None] = mapped_column(ForeignKey("list_procedures.id"), index=True)
    # The deciding agency (谁认定、谁修复): a provider code; None for the credit office.
    department_code: Mapped[str | None] = mapped_column(String(32), index=True)
    department_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    schedule: Mapped[str] = mapped_column(String(32))
    schedule_from: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))  # online | window
    applicant_name: Mapped[str] = mapped_column(String(200))
    filed_by: Mapped[str] = mapped_column(String(100))
    received_on: Mapped[date] = mapped_column(Date, index=True)
    statement: Mapped[str] = mapped_column(Text)
    materials: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # material codes provided
    commitment_text: Mapped[str] = mapped_column(Text)  # the commitment as signed
    commitment_signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_on: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(default=False)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(100))
    applied_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
