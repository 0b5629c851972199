"""Department approval before publication (seed 002: 各单位对录入平台数据的审核).

A provider may require it (``accounts.service.set_requires_approval``, a ledgered setting). Its submissions are
then stored as usual, but the records they create or correct wait as 待审核 (records status
``pending``: not public, not in the credit state, not in evaluation) until an officer of that
department approves the submission; the approval is a ledger entry naming the officer and the
count, and the records come into force with an event each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.accounts.views import ProviderInfo
from xinyong.core.errors import Conflict, NotFound
from xinyong.core.events import catch_up
from xinyong.ingest.models import Submission
from xinyong.ledger import service as ledger
from xinyong.records import approval as records_approval


@dataclass(frozen=True)
class PendingSubmission:
    id: str
    item_code: str
    channel: str
    filename: str | None
    received_at: datetime
    rows_total: int
    pending: int  # records still waiting for approval


@dataclass(frozen=True)
class ApprovalResult:
    submission_id: str
    provider_code: str
    approved: int
    subjects: int
    officer: str


def pending_submissions(session: Session, provider: ProviderInfo | str | int) -> list[PendingSubmission]:
    """The provider's submissions with records waiting for approval, oldest first."""
    p = accounts_service.get_provider(session, provider)
    ids = records_approval.pending_submission_ids(session, p.id)
    if not ids:
        return []
    counts = records_approval.pending_counts(session, ids)
    subs = {s.id: s for s in session.scalars(select(Submission).where(Submission.id.in_(ids)))}
    return [
        PendingSubmission(
            id=s.id,
            item_code=s.item_code,
            channel=s.channel,
            filename=s.filename,
            received_at=s.received_at,
            rows_total=s.rows_total or 0,
            pending=counts.get(s.id, 0),
        )
        for sid in ids
        if (s := subs.get(sid)) is not None
    ]


def approve_submission(
    session: Session, submission_id: str, *, provider_code: str, officer: str
) -> ApprovalResult:
    """An officer of ``provider_code`` approves a submission: its pending records come into force.
    Another department's submission is reported as missing (ids don't leak); a submission with
    nothing waiting is a conflict. Commits, then brings the credit states up to date."""
    p = next((x for x in accounts_service.list_providers(session) if x.code == provider_code), None)
    sub = session.get(Submission, submission_id)
    if p is None or sub is None or sub.provider_id != p.id:
        raise NotFound(
            f"No submission {submission_id} of this department",
            "本单位没有该报送批次",
            code="ingest.submission_not_found",
            field="submission_id",
            value=submission_id,
        )
    released = records_approval.release(session, submission_id)
    if not released.record_ids:
        raise Conflict(
            "Nothing of this submission waits for approval",
            "该报送批次没有待审核的记录",
            code="ingest.nothing_to_approve",
            submission_id=submission_id,
        )
    ledger.append(
        session,
        "submission.approved",
        f"submission:{submission_id}",
        {
            "submission_id": submission_id,
            "provider": p.code,
            "item": sub.item_code,
            "records": len(released.record_ids),
            "officer": officer,
        },
    )
    session.commit()
    catch_up(session)
    return ApprovalResult(submission_id, p.code, len(released.record_ids), len(released.subject_ids), officer)
