"""Records held for their department's approval (待审核): status ``pending`` keeps them out of every
view but the provider's own, out of the credit state and out of evaluation (all of which read
``in_force`` only) until the department's officer approves the submission that brought them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from xinyong.catalog.service import get_catalog
from xinyong.core.events import Event
from xinyong.records.models import Record, RecordVersion
from xinyong.records.store import _event_row, _expire, polarity

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


def release(session: Session, submission_id: str) -> Released:
    """Approve: the submission's pending records come into force (an event each, so the credit
    state and evaluation take them in)."""
    records = _pending_of(session, submission_id)
    if not records:
        return Released([], [])
    catalog = get_catalog()
    now = datetime.now(UTC)
    ids = [r.id for r in records]
    session.execute(update(Record).where(Record.id.in_(ids)).values(status="in_force", updated_at=now))
    events = [
        _event_row(
            "record.approved",
            {
                "subject_id": r.subject_id,
                "record_id": r.id,
                "item_code": r.item_code,
                "category": r.category,
                "polarity": polarity(catalog, r.item_code, r.severity),
                "severity": r.severity,
                "version": r.current_version,
                "status": "in_force",
            },
            now,
        )
        for r in records
    ]
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
