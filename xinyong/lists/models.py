"""Lists tables: one row per listing procedure (its current state, every step date and
deadline), its append-only step history, and the persons liable with a listed organisation.

Nothing is deleted: a dismissed, withdrawn or ended procedure keeps its row and its steps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# proposed → noticed → heard → listed → published → exited; dismissed / withdrawn end early.
STATUSES = ("proposed", "noticed", "heard", "listed", "published", "dismissed", "withdrawn", "exited")
OPEN_STATUSES = ("proposed", "noticed", "heard")  # before the decision
ACTIVE_STATUSES = ("listed", "published")  # the subject is on the list
FINAL_STATUSES = ("dismissed", "withdrawn", "exited")


class ListProcedure(Base):
    __tablename__ = "list_procedures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_type: Mapped[str] = mapped_column(String(64), index=True)
    list_kind: Mapped[str] = mapped_column(String(16), index=True)  # red | watch | black
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # manual | automatic | escalation
    criterion: Mapped[str | None] = mapped_column(String(64))  # the criterion code that proposed it
    basis_record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    source_procedure_id: Mapped[int | None] = mapped_column(ForeignKey("list_procedures.id"))
    # Makes automatic proposals idempotent, e.g. "blacklist:record:123", "escalation:45".
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The deciding department: a provider code, or None for the public credit office.
    department_code: Mapped[str | None] = mapped_column(String(32), index=True)
    department_name: Mapped[str] = mapped_column(String(200), default="")
    reasons: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    # The rule versions the procedure follows (effective_from of deadlines and duration).
    deadlines_from: Mapped[date | None] = mapped_column(Date)
    duration_from: Mapped[date | None] = mapped_column(Date)
    proposed_on: Mapped[date] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(100), default="")
    notice_due: Mapped[date | None] = mapped_column(Date)
    noticed_on: Mapped[date | None] = mapped_column(Date)
    statement_due: Mapped[date | None] = mapped_column(Date)
    statement_on: Mapped[date | None] = mapped_column(Date)
    decision_due: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_document: Mapped[str | None] = mapped_column(String(200))
    publication_due: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date | None] = mapped_column(Date)  # first day on the list
    ends_on: Mapped[date | None] = mapped_column(Date, index=True)  # last day on the list (period)
    min_end: Mapped[date | None] = mapped_column(Date)  # earliest exit by repair
    rectification_due: Mapped[date | None] = mapped_column(Date)
    rectified_on: Mapped[date | None] = mapped_column(Date)
    interview_due: Mapped[date | None] = mapped_column(Date)
    last_interview_on: Mapped[date | None] = mapped_column(Date)
    # provisional: a deadline above was computed on a year without its holiday notice
    # (core.calendar); the daily job recomputes it once the notice is loaded. None: notice.
    calendar_basis: Mapped[str | None] = mapped_column(String(16), index=True)
    interview_count: Mapped[int] = mapped_column(Integer, default=0)
    exited_on: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ListStep(Base):
    """One dated step of a procedure (append-only history)."""

    __tablename__ = "list_steps"
    __table_args__ = (UniqueConstraint("procedure_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("list_procedures.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # propose | notice | statement | decide | ...
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(100))
    document_number: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ListLiablePerson(Base):
    """A person recorded as liable with a listed organisation (法定代表人、主要负责人、实际控制人、
    直接责任人员), linked to its natural-person subject when known."""

    __tablename__ = "list_liable_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("list_procedures.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))  # relation | registration | decision
