"""Tables of the measures domain: the check log (with signed receipts), feedback (反馈, 案例),
push subscriptions and their deliveries (outbox → webhook, retries, dead letters)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# Integer on SQLite so it is the rowid alias (autoincrement); BIGINT elsewhere.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

DELIVERY_STATUSES = ("pending", "sending", "delivered", "dead")


class MeasureCheck(Base):
    """One check (查询式/嵌入式): who asked about whom for which matter, what the answer was and
    the signed receipt. Kept as the check log; feedback points back to it."""

    __tablename__ = "measure_checks"
    __table_args__ = (Index("ix_measure_checks_department_issued", "department_code", "issued_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    matter_code: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(200))
    caller: Mapped[str] = mapped_column(String(120))  # principal label: user:..., key:...
    role: Mapped[str] = mapped_column(String(32))
    department_code: Mapped[str | None] = mapped_column(String(64))
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    measure_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    rewards: Mapped[int] = mapped_column(Integer, default=0)
    punishments: Mapped[int] = mapped_column(Integer, default=0)
    # The day after which a check with measures and no feedback is overdue (None: nothing applied).
    feedback_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # provisional: feedback_due_on was computed on a year without its holiday notice; recomputed
    # by the daily job once the notice is loaded. None: notice.
    feedback_due_basis: Mapped[str | None] = mapped_column(String(16), index=True)
    receipt: Mapped[dict[str, Any]] = mapped_column(JSONType)
    answer: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)


class MeasureFeedback(Base):
    """A department's report that it applied (or did not apply) a measure: 奖惩案例反馈."""

    __tablename__ = "measure_feedback"
    __table_args__ = (
        UniqueConstraint("department_code", "measure_code", "subject_id", "document_number"),
        Index("ix_measure_feedback_department_measure", "department_code", "measure_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[str | None] = mapped_column(ForeignKey("measure_checks.id"), index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    measure_code: Mapped[str] = mapped_column(String(32))
    matter_code: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    applied_on: Mapped[date] = mapped_column(Date)
    document_number: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(String(64))
    reported_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    typical: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    typical_text: Mapped[str | None] = mapped_column(Text)
    typical_marked_by: Mapped[str | None] = mapped_column(String(120))
    typical_marked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PushSubscription(Base):
    """A department's webhook (触发式): where to POST and which changes it wants."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    # "whsec_<base64>" encrypted with xinyong.core.crypto (the platform must sign with it).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    lists: Mapped[list[str] | None] = mapped_column(JSONType)
    items: Mapped[list[str] | None] = mapped_column(JSONType)
    grades: Mapped[list[str] | None] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PushDelivery(Base):
    """One message for one subscription: the exact body, the idempotency key (webhook-id) and
    its delivery state. ``dead`` rows are the dead-letter queue."""

    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_push_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscriptions.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
