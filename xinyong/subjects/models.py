"""Subject tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# Subject kinds (GLOSSARY: subject).
SUBJECT_KINDS = ("enterprise", "organisation", "individual_business", "natural_person")
RELATION_ROLES = ("legal_representative", "shareholder", "branch", "controller", "key_personnel")


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Not unique on purpose: a code used by two differently-named subjects is a 重码 case that
    # governance resolves; the store must be able to hold it until then.
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    # Natural persons: ciphertext, keyed blind index (HMAC) and the masked form for display.
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    division_code: Mapped[str | None] = mapped_column(String(6), index=True)
    industry: Mapped[str | None] = mapped_column(String(4))  # GB/T 4754 section letter (A-T)
    registered_on: Mapped[date | None] = mapped_column(Date)
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))  # 万元
    status: Mapped[str] = mapped_column(String(16), default="存续")
    # Created because a record named an unknown code; staff review it in governance.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Set when governance merged this subject into another one.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SubjectName(Base):
    """Every name a subject has had (the current one included), for search by former names."""

    __tablename__ = "subject_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    # Exact-name lookups (merge candidates of a provisional subject); search uses FTS / pg_trgm.
    name: Mapped[str] = mapped_column(String(200), index=True)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    until: Mapped[date | None] = mapped_column(Date)


class Relation(Base):
    __tablename__ = "relations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    related_subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(100), default="")
    share_ratio: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))


class GovernanceCase(Base):
    """A 重错码 case: inner-check mismatch, one code/two names, one name/two codes, provisional."""

    __tablename__ = "governance_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # A stable key (e.g. "code_multiple_names:9133...") so detection is idempotent.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    code: Mapped[str | None] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(String(200))
    subject_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    # What detection saw (names used with the code, codes used with the name, check result...).
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, server_default=text("'{}'"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(String(32))
    resolution_detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
