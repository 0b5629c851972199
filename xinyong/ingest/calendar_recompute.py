"""Timeliness verdicts counted on a provisional year, recounted once the year's notice is in.

A row whose delay (working days from the decision to receipt) crossed a year without its State
Council holiday notice is stored with ``calendar_basis = provisional``. The daily job calls
:func:`recount_provisional`: each such row's delay and late verdict are counted again with the
calendar in force; the row's ``ingest.late`` warning, its submission's ``rows_late`` and the
provider's metrics follow. Each changed verdict (old → new) is appended to the ledger.
Idempotent: a row whose count no longer depends on a provisional year loses its mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog.service import get_catalog
from xinyong.core.calendar import PROVISIONAL, load_calendar
from xinyong.core.errors import DomainError
from xinyong.ingest.models import Submission, SubmissionRow
from xinyong.ingest.rows import late_warning
from xinyong.ingest.submission import _receipt
from xinyong.ledger import service as ledger
from xinyong.records import service as records_service


@dataclass(frozen=True)
class Recount:
    """One row's timeliness counted again."""

    submission_id: str
    row: int
    old_delay: int | None
    new_delay: int | None
    old_late: bool
    new_late: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "submission_id": self.submission_id,
            "row": self.row,
            "delay_working_days": [self.old_delay, self.new_delay],
            "late": [self.old_late, self.new_late],
        }


def recount_provisional(session: Session, today: date) -> list[Recount]:
    """Recount every provisional timeliness verdict; the caller commits."""
    cal = load_calendar(session)
    catalog = get_catalog()
    rows = list(
        session.scalars(
            select(SubmissionRow)
            .where(SubmissionRow.calendar_basis == PROVISIONAL)
            .order_by(SubmissionRow.submission_id, SubmissionRow.row_number)
        )
    )
    if not rows:
        return []
    decided = records_service.decision_dates(session, [r.record_id for r in rows if r.record_id is not None])
    subs = {
        s.id: s
        for s in session.scalars(select(Submission).where(Submission.id.in_({r.submission_id for r in rows})))
    }
    changes: list[Recount] = []
    for row in rows:
        sub = subs[row.submission_id]
        d = decided.get(row.record_id) if row.record_id is not None else None
        if d is None:
            row.calendar_basis = None
            continue
        received_on = _receipt(sub.received_at)[1]
        try:
            delay: int | None = cal.working_days_between(d, received_on)
        except DomainError:  # beyond the calendar: keep the old verdict and its mark
            continue
        row.calendar_basis = PROVISIONAL if cal.basis(d, received_on) == PROVISIONAL else None
        limit = catalog.timeliness_limit_working_days(catalog.item(sub.item_code), d)
        late = limit is not None and delay is not None and delay > limit
        if delay == row.delay_working_days and late == row.late:
            continue
        change = Recount(sub.id, row.row_number, row.delay_working_days, delay, row.late, late)
        warnings = [w for w in row.warnings or [] if w.get("rule") != "ingest.late"]
        if late and delay is not None:
            warnings.append(late_warning(row.row_number, d, delay, limit, row.calendar_basis))
        row.warnings = warnings
        sub.rows_late += int(late) - int(row.late)
        row.delay_working_days, row.late = delay, late
        changes.append(change)
        ledger.append(
            session,
            "ingest.timeliness_recounted",
            f"submission:{sub.id}/r{row.row_number}",
            {**change.as_dict(), "reason": "calendar_notice_loaded", "on": today.isoformat()},
        )
    session.flush()
    return changes
