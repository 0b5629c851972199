"""What each submission says about a department's data quality (read by ``xinyong.quality``):
its row counts, how many rows carried a timeliness verdict, how many were rejected for a missing
required value. Totals only: no row content leaves ingest here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.ingest.models import Submission, SubmissionRow

REQUIRED_RULE = "ingest.required"  # validation's rule for a missing required value


@dataclass(frozen=True)
class SubmissionFacts:
    submission_id: str
    provider_code: str
    provider_name: str
    provider_uscc: str | None
    item_code: str
    received_at: datetime
    failed: bool
    rows_total: int
    rows_rejected: int
    rows_created: int
    rows_corrected: int
    rows_late: int
    rows_timed: int  # rows with a working-day delay verdict (the 7-working-day rule applied)
    rows_missing_required: int  # rejected rows among them for a missing required value


def submission_facts(session: Session, since: datetime, until: datetime) -> list[SubmissionFacts]:
    """Every submission received in ``[since, until)`` with its quality counts."""
    # Compared in UTC: SQLite keeps the times as UTC text.
    cond = (Submission.received_at >= since.astimezone(UTC), Submission.received_at < until.astimezone(UTC))
    timed: dict[str, int] = {
        sid: int(n)
        for sid, n in session.execute(
            select(SubmissionRow.submission_id, func.count())
            .join(Submission, Submission.id == SubmissionRow.submission_id)
            .where(*cond, SubmissionRow.delay_working_days.is_not(None))
            .group_by(SubmissionRow.submission_id)
        )
    }
    missing: dict[str, int] = {}
    for sid, errors in session.execute(
        select(SubmissionRow.submission_id, SubmissionRow.errors)
        .join(Submission, Submission.id == SubmissionRow.submission_id)
        .where(*cond, SubmissionRow.outcome == "rejected")
    ):
        if any(e.get("rule") == REQUIRED_RULE for e in errors or []):
            missing[sid] = missing.get(sid, 0) + 1
    rows = session.scalars(select(Submission).where(*cond).order_by(Submission.received_at, Submission.id))
    providers = {p.id: p for p in accounts_service.list_providers(session)}
    return [
        SubmissionFacts(
            submission_id=s.id,
            provider_code=providers[s.provider_id].code,
            provider_name=providers[s.provider_id].name,
            provider_uscc=providers[s.provider_id].uscc,
            item_code=s.item_code,
            received_at=s.received_at,
            failed=s.status == "failed",
            rows_total=s.rows_total or 0,
            rows_rejected=s.rows_rejected or 0,
            rows_created=s.rows_created or 0,
            rows_corrected=s.rows_corrected or 0,
            rows_late=s.rows_late or 0,
            rows_timed=int(timed.get(s.id, 0)),
            rows_missing_required=missing.get(s.id, 0),
        )
        for s in rows
    ]
