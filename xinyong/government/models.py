"""Government tables: the register of public bodies (who is whose superior) and the notices
sent when a public body or an official defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow


class GovernmentBody(Base):
    """A 机关 or 事业单位 (USCC 11…/12…) known to the platform, with its superior."""

    __tablename__ = "government_bodies"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    body_type: Mapped[str] = mapped_column(String(16))  # 机关 | 事业单位
    # The department (accounts) it is, when it also submits records: its 双公示 timeliness.
    department_code: Mapped[str | None] = mapped_column(String(64), index=True)
    superior_name: Mapped[str] = mapped_column(String(200))
    superior_department_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GovernmentNotice(Base):
    """One 通报: a default by a body (to its superior and the audit body) or by an official (to
    the official's body, the discipline inspection and the personnel bodies)."""

    __tablename__ = "government_notices"
    __table_args__ = (UniqueConstraint("record_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer)  # unique with subject_id: one notice per default
    subject_id: Mapped[int] = mapped_column(Integer, index=True)  # who defaulted
    body_subject_id: Mapped[int] = mapped_column(Integer, index=True)  # the body concerned
    kind: Mapped[str] = mapped_column(String(16))  # body | official
    item_code: Mapped[str] = mapped_column(String(64))
    document_number: Mapped[str] = mapped_column(String(200), default="")
    # [{"role": "superior"|"audit"|..., "name_zh": ..., "department_code": ...}]
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    text_zh: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
