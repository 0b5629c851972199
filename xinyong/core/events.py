"""The outbox: every change to credit data writes an event in the same transaction.

Consumers (credit state, and later push, evaluation, lists) read events in id order and keep
their own cursor, so each consumer is at-least-once and can be replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.core.db import Base, JSONType, utcnow

# Integer on SQLite so it is the rowid alias (autoincrement); BIGINT elsewhere.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    record_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventCursor(Base):
    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def emit(
    session: Session,
    type: str,
    *,
    subject_id: int | None = None,
    record_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append an event; it commits (or not) with the caller's transaction."""
    ev = Event(type=type, subject_id=subject_id, record_id=record_id, payload=payload or {})
    session.add(ev)
    return ev


def pending(session: Session, consumer: str, limit: int = 10_000) -> tuple[EventCursor, list[Event]]:
    """The events a consumer has not yet processed, oldest first, and its cursor row."""
    cursor = session.get(EventCursor, consumer)
    if cursor is None:
        cursor = EventCursor(consumer=consumer, last_event_id=0)
        session.add(cursor)
        session.flush()
    events = list(
        session.scalars(select(Event).where(Event.id > cursor.last_event_id).order_by(Event.id).limit(limit))
    )
    return cursor, events
