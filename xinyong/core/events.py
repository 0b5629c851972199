"""The outbox: every change to credit data writes an event in the same transaction.

Consumers (credit state, and later push, evaluation, lists) read events in id order and keep
their own cursor, so each consumer is at-least-once and can be replayed.

A writer in a lower layer (ingest's submission) may have to leave a derived state up to date
when it returns, yet may not import the layer that derives it. The assembly (``xinyong.jobs``)
registers such consumers with :func:`run_after_commit`; the writer calls :func:`catch_up` once
its own transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, delete, func, select, text
from sqlalchemy.exc import OperationalError
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


# Events a consumer takes in one transaction by default: a consumer's transaction stays short
# (a fraction of a second on SQLite, whose write lock every other writer waits for), and catch-up
# after a big submission is many small transactions, not one long one.
BATCH = 1_000


def pending(session: Session, consumer: str, limit: int = BATCH) -> tuple[EventCursor, list[Event]]:
    """The events a consumer has not yet processed, oldest first (up to the hold, see
    :func:`hold`), and its cursor row."""
    cursor = session.get(EventCursor, consumer)
    if cursor is None:
        cursor = EventCursor(consumer=consumer, last_event_id=0)
        session.add(cursor)
        session.flush()
    cond = [Event.id > cursor.last_event_id]
    fence = horizon(session)
    if fence is not None:
        cond.append(Event.id <= fence)
    events = list(session.scalars(select(Event).where(*cond).order_by(Event.id).limit(limit)))
    return cursor, events


# --- holds: events written in many transactions that must appear at once ------------------------

# A hold is a row of ``event_cursors`` named ``hold:<owner>``, its ``last_event_id`` the newest
# event id when it was taken. A long writer that commits in short chunks (a big submission,
# ``xinyong.ingest``) takes one in its first transaction and releases it in its last; meanwhile no
# consumer reads past it, so nothing derived from the chunks (credit states, grades, lists,
# pushes) appears before the whole submission does. Releasing is one DELETE: the final commit is
# as short as any other. A hold left by a crash is released by the writer's recovery.
_HOLD = "hold:"


def hold(session: Session, owner: str) -> None:
    """Take a hold for ``owner`` in the caller's transaction (see above)."""
    newest = session.scalar(select(func.max(Event.id))) or 0
    session.add(EventCursor(consumer=_HOLD + owner, last_event_id=newest))
    session.flush()


def release(session: Session, owner: str) -> None:
    """Release ``owner``'s hold in the caller's transaction (no hold: nothing happens)."""
    session.execute(delete(EventCursor).where(EventCursor.consumer == _HOLD + owner))


def horizon(session: Session) -> int | None:
    """The newest event id consumers may read, or None when nothing holds them back."""
    held = session.scalar(
        select(func.min(EventCursor.last_event_id)).where(EventCursor.consumer.startswith(_HOLD))
    )
    return int(held) if held is not None else None


def holds(session: Session) -> list[str]:
    """The owners of the holds now taken."""
    names = session.scalars(select(EventCursor.consumer).where(EventCursor.consumer.startswith(_HOLD)))
    return [n.removeprefix(_HOLD) for n in names]


# How long a consumer waits for in-flight outbox writers on PostgreSQL before leaving the events
# for its next run (an operational knob, not a legal number).
WRITER_WAIT_TIMEOUT = "2s"


def wait_for_writers(session: Session, timeout: str = WRITER_WAIT_TIMEOUT) -> bool:
    """Call at the start of a consumer's transaction; False means "try again next run".

    On PostgreSQL, event ids are taken when a row is inserted but become visible when its
    transaction commits, so a long submission can commit ids BELOW a cursor that already moved
    on, and those events would never be consumed. This lock waits for every in-flight outbox
    writer to finish first and keeps new ones out until the consumer commits; being
    self-exclusive it also serialises consumers. If writers are still busy after ``timeout``,
    the events wait for the next run. SQLite has a single writer: no such gap."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    previous = session.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    session.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": timeout})
    try:
        with session.begin_nested():
            session.execute(text("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"))
        return True
    except OperationalError:
        return False
    finally:
        session.execute(text("SELECT set_config('lock_timeout', :v, true)"), {"v": previous})


# --- consumers run right after a writer commits ------------------------------------------------

# name -> consumer(session) -> events consumed; registered by the assembly, in data-flow order.
_AFTER_COMMIT: dict[str, Callable[[Session], int]] = {}


def run_after_commit(name: str, consumer: Callable[[Session], int]) -> None:
    """Have ``catch_up`` run ``consumer`` (registering the same name again replaces it)."""
    _AFTER_COMMIT[name] = consumer


def catch_up(session: Session) -> None:
    """Run every registered consumer until it has nothing left, committing after each pass.
    Call it after the writer's own commit, on the same session; a consumer that raises leaves
    its events for its next run (the caller decides whether to log or raise)."""
    for consumer in list(_AFTER_COMMIT.values()):
        drain(session, consumer)


def drain(session: Session, consumer: Callable[[Session], int]) -> int:
    """Run ``consumer`` (one batch of events per call) until it has nothing left, committing
    after each batch: catch-up is many short transactions. Returns the events consumed."""
    total = 0
    while True:
        consumed = consumer(session)
        session.commit()
        total += consumed
        if consumed <= 0:
            return total
