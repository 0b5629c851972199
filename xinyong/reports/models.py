"""Report tables: the report register (every issued report, its file and hash), the subjects'
authorisations of third parties, and the uses agencies report back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# How a report was issued: the subject downloaded its own, staff issued it at a window, a third
# party got it on the subject's authorisation, or anyone got the public-view report.
CHANNELS = ("self", "window", "authorised", "public")
# What the report shows: the public view only, or the subject's full file (in force only).
SCOPES = ("public", "full")


class CreditReport(Base):
    """The report register (信用报告登记簿): one row per issued report."""

    __tablename__ = "credit_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    check_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # public | special
    field: Mapped[str | None] = mapped_column(String(32))  # special reports: the field code
    scope: Mapped[str] = mapped_column(String(16))  # public | full
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_code: Mapped[str] = mapped_column(String(64))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    valid_until: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    issued_by: Mapped[str] = mapped_column(String(120))
    issued_role: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    authorisation_id: Mapped[int | None] = mapped_column(ForeignKey("report_authorisations.id"))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType)  # section code -> count
    found: Mapped[int] = mapped_column(Integer, default=0)  # special reports: records found
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    query_log_id: Mapped[int | None] = mapped_column(Integer)
    # The signed file itself: served again by number; deferred so listing the register never
    # loads it.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))


class ReportAuthorisation(Base):
    """A subject's authorisation of a third party (bank, tenderer …) to obtain its full report."""

    __tablename__ = "report_authorisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    # Who is authorised: a department (an organisation's account) or one user account.
    grantee_department: Mapped[str | None] = mapped_column(String(64), index=True)
    grantee_username: Mapped[str | None] = mapped_column(String(120), index=True)
    kinds: Mapped[list[str]] = mapped_column(JSONType)  # report kinds the scope covers
    field: Mapped[str | None] = mapped_column(String(32))  # special reports: only this field
    purpose_zh: Mapped[str] = mapped_column(String(200))
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    uses: Mapped[int] = mapped_column(Integer, default=0)


class ReportUse(Base):
    """An agency's record that it relied on a report in a matter (信用报告应用反馈)."""

    __tablename__ = "report_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("credit_reports.id"), index=True)
    matter: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(200))
    used_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
