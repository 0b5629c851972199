"""Feedback deadlines computed on a provisional year, recomputed once the year's notice is in.

A check whose feedback deadline reaches a year without its State Council holiday notice is stored
with ``feedback_due_basis = provisional``. The daily job calls :func:`recompute_provisional`:
every such check still waiting for feedback gets its deadline recomputed from the day it was
made, with the calendar in force; each move (old date → new date) is appended to the ledger.
Idempotent: a check whose deadline no longer depends on a provisional year loses its mark.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core import ledger
from xinyong.core.calendar import PROVISIONAL, DateMove, load_calendar
from xinyong.core.clock import CHINA_TZ
from xinyong.measures.catalog import get_measures
from xinyong.measures.models import MeasureCheck, MeasureFeedback
from xinyong.measures.service import feedback_due


def recompute_provisional(session: Session, today: date) -> list[DateMove]:
    """Recompute provisional feedback deadlines of checks without feedback; the caller commits."""
    cal = load_calendar(session)
    working_days = get_measures().feedback.due_working_days
    answered = select(MeasureFeedback.id).where(MeasureFeedback.check_id == MeasureCheck.id).exists()
    checks = session.scalars(
        select(MeasureCheck)
        .where(MeasureCheck.feedback_due_basis == PROVISIONAL, ~answered)
        .order_by(MeasureCheck.issued_at)
    )
    moves: list[DateMove] = []
    for check in checks:
        issued = check.issued_at if check.issued_at.tzinfo else check.issued_at.replace(tzinfo=UTC)
        made_on = issued.astimezone(CHINA_TZ).date()
        due = feedback_due(cal, working_days, made_on)
        check.feedback_due_basis = PROVISIONAL if due.basis == PROVISIONAL else None
        if due.on is None or due.on == check.feedback_due_on:
            continue
        move = DateMove(f"measure_check:{check.id}", "feedback_due_on", check.feedback_due_on, due.on)
        check.feedback_due_on = due.on
        moves.append(move)
        ledger.append(
            session,
            "measure.feedback_due_recomputed",
            f"measure_check:{check.id}",
            {**move.as_dict(), "reason": "calendar_notice_loaded", "on": today.isoformat()},
        )
    session.flush()
    return moves
