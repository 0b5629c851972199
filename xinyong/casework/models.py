"""Casework tables, shared by every subject-rights procedure. A row belongs to one case, named by
``kind`` (``objection``, ``repair``, ``commitment``, ``declaration`` …) and the case's id in its
own domain's table: the domains own their cases, casework owns what every case has.

Nothing is deleted: steps, letters and attachments are append-only; a deadline is closed
(``done_on``) or cancelled, never removed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow


class CaseStep(Base):
    """One dated step of a case (append-only history); each has its ledger entry."""

    __tablename__ = "case_steps"
    __table_args__ = (UniqueConstraint("kind", "case_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    on_date: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseDeadline(Base):
    """A step's deadline in working days: due, done or cancelled (the case ended first)."""

    __tablename__ = "case_deadlines"
    __table_args__ = (UniqueConstraint("kind", "case_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    case_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    started_on: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)  # None: year not declared yet
    done_on: Mapped[date | None] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_on: Mapped[date | None] = mapped_column(Date)
    # provisional: computed on a year without its holiday notice (core.calendar)
    calendar_basis: Mapped[str | None] = mapped_column(String(16))


class CaseAttachment(Base):
    """A file an applicant or officer attached: checked by content (PDF/JPEG/PNG), kept in the
    store with its SHA-256."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseLetter(Base):
    """A numbered letter (决定书, 告知书) issued in a case, its full text kept in the file."""

    __tablename__ = "case_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    letter: Mapped[str] = mapped_column(String(32))  # the template's code, e.g. corrected
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseLookup(Base):
    """The lookup code (查询码) of a case: unique, so a code finds one case."""

    __tablename__ = "case_lookups"
    __table_args__ = (UniqueConstraint("kind", "case_id"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
