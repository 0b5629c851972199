"""Ingest tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow


class Submission(Base):
    """One push or one file from a provider."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4 hex form
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # api | file | resubmit
    filename: Mapped[str | None] = mapped_column(String(300))
    file_format: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(16))
    # sha256 of the file or canonical JSON body: re-sending the same content is recognised.
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")  # received|applying|done|failed
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_corrected: Mapped[int] = mapped_column(Integer, default=0)
    rows_withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_late: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # File-level problems (missing column, encoding ...) that rejected the whole submission.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Submission-level warnings that did not reject it (unknown headers whose columns were ignored).
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class SubmissionRow(Base):
    """The outcome of one row of a submission (kept for every row, good or bad)."""

    __tablename__ = "submission_rows"
    __table_args__ = (Index("ix_submission_rows_submission_row", "submission_id", "row_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by ix_submission_rows_submission_row (submission_id, row_number).
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # created|corrected|withdrawn|unchanged|rejected
    record_id: Mapped[int | None] = mapped_column(Integer, index=True)
    document_number: Mapped[str | None] = mapped_column(String(200))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    delay_working_days: Mapped[int | None] = mapped_column(Integer)
    # provisional: the delay was counted on a year without its holiday notice (core.calendar);
    # the daily job recounts it once the notice is loaded. None: notice (or no verdict).
    calendar_basis: Mapped[str | None] = mapped_column(String(16), index=True)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class QuarantineRow(Base):
    """A rejected row kept with its reasons until it is corrected and resubmitted (or discarded)."""

    __tablename__ = "quarantine_rows"
    # One open entry per (provider, item, document number): a later submission supersedes or
    # resolves it (ingest.rows); this index finds it.
    __table_args__ = (
        Index("ix_quarantine_rows_document", "provider_id", "item_code", "document_number", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    document_number: Mapped[str | None] = mapped_column(String(200))  # the record key, when the row had one
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the row as received (original headers)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(
        String(16), default="open", index=True
    )  # open|resolved|superseded|discarded
    resolved_submission_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
