"""The ``credit_state`` outbox consumer: re-derives each subject's credit state row (its
in-force counts) from the records the events name.

Records write an outbox event in the same transaction as every change (``xinyong.records``);
this consumer keeps its cursor in ``event_cursors`` and recomputes the counts of every subject an
event names from the records themselves (``records.service.record_counts``), so replays and
duplicates are harmless. It runs after a submission commits (registered with
``xinyong.core.events.run_after_commit`` by the assembly, ``xinyong.jobs``), in the daily tick
(``worker.py``) and wherever a caller above wants the states current (the demo build)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import String, Table, case, null, select, type_coerce
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core.bulk import insert_rows, select_rows, update_rows
from xinyong.core.events import BATCH, Event, EventCursor, horizon, wait_for_writers
from xinyong.creditstate.models import CreditState
from xinyong.records import service as records_service
from xinyong.records import store as records_store

CONSUMER = "credit_state"
# Subjects recomputed per statement batch: bounds memory and the size of IN (...) lists.
_CHUNK = 1000
_EVENTS = cast(Table, Event.__table__)
_STATES = cast(Table, CreditState.__table__)


def process_events(session: Session, limit: int = BATCH) -> int:
    """Consume one batch of outbox events (at most ``limit``) and update each affected
    subject's credit state row.

    The state is recomputed FROM THE RECORDS TABLE for every subject an event names (so replay
    and duplicates are harmless), one aggregate query per batch of subjects; the cursor moves
    in the caller's transaction. Returns how many events were consumed: call it again (after a
    commit, ``core.events.drain``) until it returns 0, so catch-up runs in short transactions.
    Call it at the start of a transaction (after committing the writes it should see)."""
    if not wait_for_writers(session):
        return 0
    catalog = catalog_service.get_catalog()
    cursor, events = _pending(session, limit)
    if not events:
        return 0
    affected: dict[int, tuple[int, datetime]] = {}
    for event_id, subject_id, payload, created_at in events:
        # Events come in id order: the last wins.
        if not payload:  # record.created (payload not read): only the event's own subject
            if subject_id is not None:
                affected[subject_id] = (event_id, created_at)
            continue
        for sid in _subjects_named(subject_id, payload):
            affected[sid] = (event_id, created_at)
    _recompute(session, catalog, affected)
    cursor.last_event_id = events[-1][0]
    session.flush()
    return len(events)


_NO_STAMP = object()


def _pending(session: Session, limit: int) -> tuple[EventCursor, list[tuple[Any, ...]]]:
    """``events.pending`` for this consumer, reading only the columns it needs (a submission
    leaves one event per row: loading them as ORM objects cost more than the recomputation)."""
    cursor = session.get(EventCursor, CONSUMER)
    if cursor is None:
        cursor = EventCursor(consumer=CONSUMER, last_event_id=0)
        session.add(cursor)
        session.flush()
    # A record.created payload names no subject but the event's own (``records.store``): it is
    # not read, which spares decoding one JSON document per ingested row.
    payload = case((Event.type == "record.created", null()), else_=Event.payload)
    cond = [Event.id > cursor.last_event_id]
    fence = horizon(session)  # a submission still applying: its events wait (core.events.hold)
    if fence is not None:
        cond.append(Event.id <= fence)
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        rows = select_rows(
            session,
            select(Event.id, Event.subject_id, payload, Event.created_at)
            .where(*cond)
            .order_by(Event.id)
            .limit(limit),
        )
        return cursor, [tuple(r) for r in rows]
    # SQLite keeps timestamps as text, and a submission's events share a handful of them:
    # each distinct text is converted once (by the column's own result processor).
    rows = select_rows(
        session,
        select(Event.id, Event.subject_id, payload, type_coerce(Event.created_at, String))
        .where(Event.id > cursor.last_event_id)
        .order_by(Event.id)
        .limit(limit),
    )
    convert = _EVENTS.c.created_at.type.dialect_impl(dialect).result_processor(dialect, None)
    stamps: dict[Any, Any] = {None: None}
    out: list[tuple[Any, ...]] = []
    for event_id, subject_id, data, stamp in rows:
        at = stamps.get(stamp, _NO_STAMP)
        if at is _NO_STAMP:
            at = stamps[stamp] = convert(stamp) if convert is not None else stamp
        out.append((event_id, subject_id, data, at))
    return cursor, out


def _subjects_named(subject_id: int | None, payload: dict[str, Any] | None) -> set[int]:
    """The subject of the event plus any other subject its payload names (a record moved
    away from ``previous_subject_id``, a merge's ``from_subject_id`` ...)."""
    ids: set[int] = set()
    if subject_id is not None:
        ids.add(subject_id)
    for key, value in (payload or {}).items():
        if key.endswith("subject_id") and isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
        elif key.endswith("subject_ids") and isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return ids


_EMPTY: tuple[dict[str, int], int, int, int] = ({}, 0, 0, 0)


def rebuild(session: Session) -> int:
    """Recompute the counts of every subject with a state row or records (``xinyong creditstate
    rebuild``: what ``ledger verify`` names when a count was changed behind the platform's
    back). Returns how many subjects; the caller commits."""
    catalog = catalog_service.get_catalog()
    affected: dict[int, tuple[int, datetime]] = {
        sid: (eid, cast(datetime, at))
        for sid, eid, at in session.execute(
            select(CreditState.subject_id, CreditState.last_event_id, CreditState.last_change_at)
        )
    }
    for sid in records_service.subject_ids_with_records(session):
        affected.setdefault(sid, (0, cast(datetime, None)))
    _recompute(session, catalog, affected)
    return len(affected)


def derive_counts(
    session: Session, catalog: catalog_service.Catalog, subject_ids: Sequence[int]
) -> dict[int, tuple[dict[str, int], int, int, int]]:
    """The in-force counts of these subjects (at most ~1,000) from their records: (counts by
    category and category:severity, records, negative, serious). Subjects without in-force
    records are absent. The consumer writes these; ``integrity`` recomputes them to check."""
    polarity: dict[tuple[str, str | None], str] = {}  # (item, severity) -> polarity, per call
    states: dict[int, tuple[defaultdict[str, int], list[int]]] = {}
    rows: Iterable[Any] = records_service.record_counts(session, subject_ids)
    for subject_id, category, item_code, severity, status, n in rows:
        if status != "in_force":
            continue
        st = states.get(subject_id)
        if st is None:
            st = states[subject_id] = (defaultdict(int), [0, 0, 0])
        counts, totals = st
        counts[category] += n
        if severity:
            counts[f"{category}:{severity}"] += n
        totals[0] += n
        pol = polarity.get((item_code, severity))
        if pol is None:
            pol = polarity[(item_code, severity)] = records_store.polarity(catalog, item_code, severity)
        if pol == "negative":
            totals[1] += n
        if severity == "serious":
            totals[2] += n
    return {sid: (dict(sorted(c.items())), t[0], t[1], t[2]) for sid, (c, t) in states.items()}


def _recompute(
    session: Session, catalog: catalog_service.Catalog, affected: dict[int, tuple[int, datetime]]
) -> None:
    subject_ids = sorted(affected)
    for start in range(0, len(subject_ids), _CHUNK):
        part = subject_ids[start : start + _CHUNK]
        states = derive_counts(session, catalog, part)
        # Only this consumer's columns are written (grades and lists belong to other steps), with
        # one bulk INSERT for new rows and one bulk UPDATE by key for existing ones.
        existing = {
            sid
            for (sid,) in select_rows(
                session, select(CreditState.subject_id).where(CreditState.subject_id.in_(part))
            )
        }
        now = datetime.now(UTC)
        new: list[dict[str, Any]] = []
        old: list[dict[str, Any]] = []
        for sid in part:
            counts, records, negative, serious = states.get(sid, _EMPTY)
            last_event_id, last_change_at = affected[sid]
            (old if sid in existing else new).append(
                {
                    "subject_id": sid,
                    "counts": counts,
                    "records_in_force": records,
                    "negative_in_force": negative,
                    "serious_in_force": serious,
                    "last_event_id": last_event_id,
                    "last_change_at": last_change_at,
                    "updated_at": now,
                }
            )
        if new:
            insert_rows(session, _STATES, new)
        if old:
            update_rows(session, _STATES, old, key="subject_id")
            for v in old:
                obj = session.identity_map.get(Session.identity_key(CreditState, v["subject_id"]))
                if obj is not None:
                    session.expire(obj)
