"""Records held for their department's approval (待审核): status ``pending`` keeps them out of every
view but the provider's own, out of the credit state and out of evaluation (all of which read
``in_force`` only) until the department's officer approves the submission that brought them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from xinyong.catalog.ruleset import SeverityCode
from xinyong.catalog.service import get_catalog
from xinyong.core.clock import today_china
from xinyong.core.events import Event
from xinyong.records.models import Record, RecordVersion
from xinyong.records.store import (
    _event_row,
    _expire,
    _ledger_versions,
    _version_row,
    record_state,
    status_payload,
    window_fields,
)

PENDING = "pending"


def hold(session: Session, record_ids: Sequence[int]) -> int:
    """Put freshly stored records on hold (pending approval); returns how many."""
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        session.execute(
            update(Record).where(Record.id.in_(part), Record.status == "in_force").values(status=PENDING)
        )
        _expire(session, part)
    return len(ids)


def _pending_of(session: Session, submission_id: str) -> list[Record]:
    return list(
        session.scalars(
            select(Record)
            .join(
                RecordVersion,
                (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
            )
            .where(RecordVersion.submission_id == submission_id, Record.status == PENDING)
            .order_by(Record.id)
        )
    )


@dataclass(frozen=True)
class Released:
    record_ids: list[int]
    subject_ids: list[int]


def release(session: Session, submission_id: str, on: date | None = None) -> Released:
    """Approve on ``on`` (today in China): the submission's pending records come into force.

    Publication is the approval, not the receipt: a record published for the first time has its
    publicity window computed again from ``on`` (a period that runs from publication would
    otherwise lose the days the record waited). Each record gets a new version ``approved`` (same
    content) with its ledger entry, and a ``record.approved`` event so the credit state and
    evaluation take it in."""
    records = _pending_of(session, submission_id)
    if not records:
        return Released([], [])
    day = on or today_china()
    catalog = get_catalog()
    now = datetime.now(UTC)
    ids = [r.id for r in records]
    current = {
        rid: (data, digest)
        for rid, data, digest in session.execute(
            select(RecordVersion.record_id, RecordVersion.data, RecordVersion.content_hash)
            .join(
                Record,
                (Record.id == RecordVersion.record_id) & (Record.current_version == RecordVersion.version),
            )
            .where(Record.id.in_(ids))
        )
    }
    updates, versions, states, events = [], [], [], []
    for r in records:
        data, digest = current[r.id]
        version = r.current_version + 1
        fields = {name: getattr(r, name) for name in window_fields(None)}
        if r.current_version == 1:
            # Never published before: the window starts today. A correction held for approval
            # keeps the first publication (as the store keeps it for any correction).
            window = catalog.publicity_window(
                catalog.item(r.item_code),
                cast(SeverityCode | None, r.severity),
                r.decision_date or day,
                day,
                data=data,
            )
            if window is not None:
                fields = window_fields(window)
        updates.append(
            {"id": r.id, "status": "in_force", "current_version": version, "updated_at": now, **fields}
        )
        versions.append(_version_row(r.id, version, "approved", data, digest, submission_id, now))
        # Only what approval sets: the ledger's view of the record keeps the rest from its creation.
        states.append(record_state(fields, "in_force", ("status", *fields)))
        payload = status_payload(catalog, r, version, "in_force", fields["publicity_end"])
        events.append(_event_row("record.approved", payload, now))
    session.execute(update(Record), updates)
    session.execute(insert(RecordVersion), versions)
    _ledger_versions(session, [{**v, "state": s} for v, s in zip(versions, states, strict=True)])
    session.execute(insert(Event), events)
    _expire(session, ids)
    return Released(ids, sorted({r.subject_id for r in records}))


def pending_counts(session: Session, submission_ids: Sequence[str]) -> dict[str, int]:
    """How many records of each submission still wait for approval."""
    if not submission_ids:
        return {}
    rows = session.execute(
        select(RecordVersion.submission_id, func.count())
        .join(
            Record,
            (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
        )
        .where(RecordVersion.submission_id.in_(list(submission_ids)), Record.status == PENDING)
        .group_by(RecordVersion.submission_id)
    ).all()
    return {str(sid): int(n) for sid, n in rows}


def pending_submission_ids(session: Session, provider_id: int) -> list[str]:
    """Submissions of a provider with records waiting for approval, oldest first."""
    rows = session.execute(
        select(RecordVersion.submission_id, func.min(Record.id))
        .join(
            Record,
            (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
        )
        .where(
            Record.provider_id == provider_id,
            Record.status == PENDING,
            RecordVersion.submission_id.is_not(None),
        )
        .group_by(RecordVersion.submission_id)
        .order_by(func.min(Record.id))
    ).all()
    return [str(sid) for sid, _ in rows]
