"""Ingest metrics: per provider and per catalog item (volumes, error rates, timeliness)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.ingest.models import Submission, SubmissionRow
from xinyong.ingest.views import ItemMetrics, ProviderMetrics


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def provider_metrics(
    session: Session, code: str, *, since: datetime | None = None, until: datetime | None = None
) -> ProviderMetrics:
    """Submissions, rows submitted / accepted / rejected (by rule), late rows, error rate and the
    median delay in working days of a provider, optionally within ``[since, until)``."""
    p = accounts_service.get_provider(session, code)
    cond = [Submission.provider_id == p.id]
    if since is not None:
        cond.append(Submission.received_at >= since)
    if until is not None:
        cond.append(Submission.received_at < until)
    agg = session.execute(
        select(
            func.count(),
            func.count().filter(Submission.status == "failed"),
            func.coalesce(func.sum(Submission.rows_total), 0),
            func.coalesce(func.sum(Submission.rows_created), 0),
            func.coalesce(func.sum(Submission.rows_corrected), 0),
            func.coalesce(func.sum(Submission.rows_withdrawn), 0),
            func.coalesce(func.sum(Submission.rows_unchanged), 0),
            func.coalesce(func.sum(Submission.rows_rejected), 0),
            func.coalesce(func.sum(Submission.rows_late), 0),
        ).where(*cond)
    ).one()
    n, failed, submitted, created, corrected, withdrawn, unchanged, rejected, late = (
        int(v or 0) for v in agg
    )
    by_rule: Counter[str] = Counter()
    for errors in session.scalars(
        select(SubmissionRow.errors)
        .join(Submission, Submission.id == SubmissionRow.submission_id)
        .where(*cond, SubmissionRow.outcome == "rejected")
    ):
        # A row counts once per distinct rule it broke.
        by_rule.update({e.get("rule") or "unknown" for e in errors or []})
    delays: list[int] = [
        d
        for d in session.scalars(
            select(SubmissionRow.delay_working_days)
            .join(Submission, Submission.id == SubmissionRow.submission_id)
            .where(*cond, SubmissionRow.delay_working_days.is_not(None))
        )
        if d is not None
    ]
    return ProviderMetrics(
        provider_code=p.code,
        provider_name=p.name,
        submissions=n,
        submissions_failed=failed,
        rows_submitted=submitted,
        rows_accepted=created + corrected + withdrawn + unchanged,
        rows_created=created,
        rows_corrected=corrected,
        rows_withdrawn=withdrawn,
        rows_unchanged=unchanged,
        rows_rejected=rejected,
        rejected_by_rule=dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        rows_late=late,
        error_rate=_rate(rejected, submitted),
        late_rate=_rate(late, created),
        median_delay_working_days=float(statistics.median(delays)) if delays else None,
    )


def item_metrics(session: Session) -> list[ItemMetrics]:
    """The same totals over all providers, per catalog item."""
    rows = session.execute(
        select(
            Submission.item_code,
            func.count(func.distinct(Submission.provider_id)),
            func.count(),
            func.coalesce(func.sum(Submission.rows_total), 0),
            func.coalesce(
                func.sum(
                    Submission.rows_created
                    + Submission.rows_corrected
                    + Submission.rows_withdrawn
                    + Submission.rows_unchanged
                ),
                0,
            ),
            func.coalesce(func.sum(Submission.rows_rejected), 0),
            func.coalesce(func.sum(Submission.rows_late), 0),
        )
        .group_by(Submission.item_code)
        .order_by(Submission.item_code)
    ).all()
    return [
        ItemMetrics(
            item_code=code,
            providers=int(providers),
            submissions=int(n),
            rows_submitted=int(total),
            rows_accepted=int(accepted),
            rows_rejected=int(rejected),
            rows_late=int(late),
            error_rate=_rate(int(rejected), int(total)),
        )
        for code, providers, n, total, accepted, rejected, late in rows
    ]
