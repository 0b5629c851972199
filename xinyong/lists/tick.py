"""The daily tick: ends listings at the end of their period, proposes escalations and fills
deadlines the calendar could not compute before.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xinyong.catalog.ruleset import add_months
from xinyong.core.calendar import PROVISIONAL, load_calendar
from xinyong.lists.common import SYSTEM, _current_procedure, _last_step_date, _refresh_deadlines
from xinyong.lists.listing import exit_list
from xinyong.lists.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    ListProcedure,
)
from xinyong.lists.procedure import propose
from xinyong.lists.rules import (
    ListDurationCriterion,
    ListType,
    get_list_rules,
)
from xinyong.lists.schemas import (
    TickResult,
)

# ---------------------------------------------------------------------------------------------
# The daily tick


def tick(session: Session, today: date) -> TickResult:
    """End listings whose period is over (``list.exited``, reason period_ended, dated the day
    after the last day listed), propose escalations (``list_duration`` criteria) and fill the
    deadlines the calendar can compute now. Idempotent."""
    rules = get_list_rules()
    cal = load_calendar(session)
    result = TickResult()
    ended = list(
        session.scalars(
            select(ListProcedure)
            .where(ListProcedure.status.in_(ACTIVE_STATUSES), ListProcedure.ends_on < today)
            .order_by(ListProcedure.id)
        )
    )
    for proc in ended:
        lt = rules.types.get(proc.list_type)
        if lt is None or lt.exit_condition("period_ended") is None or proc.ends_on is None:
            continue
        day = max(proc.ends_on + timedelta(days=1), _last_step_date(session, proc))
        if day > today:  # a tick run for a day before the procedure's last step
            continue
        exit_list(
            session,
            proc.id,
            actor=SYSTEM,
            reason="period_ended",
            text=f"列入期限于{proc.ends_on}届满，自动移出",
            on=day,
            today=today,
        )
        result.exited += 1
    for lt in rules.all():
        for crit in lt.criteria:
            if isinstance(crit, ListDurationCriterion):
                result.escalated += _escalate(session, lt, crit, today)
    # Provisional deadlines are recomputed, with a record of each move, by
    # lists.calendar_recompute (run first by the daily job), never silently here.
    for proc in session.scalars(
        select(ListProcedure).where(
            ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES),
            or_(ListProcedure.calendar_basis.is_(None), ListProcedure.calendar_basis != PROVISIONAL),
            or_(
                ListProcedure.decision_due.is_(None),
                ListProcedure.notice_due.is_(None),
                ListProcedure.statement_due.is_(None),
                ListProcedure.publication_due.is_(None),
                ListProcedure.rectification_due.is_(None),
                ListProcedure.interview_due.is_(None),
            ),
        )
    ):
        lt = rules.types.get(proc.list_type)
        if lt is None:
            continue
        before = (
            proc.notice_due,
            proc.statement_due,
            proc.decision_due,
            proc.publication_due,
            proc.rectification_due,
            proc.interview_due,
        )
        _refresh_deadlines(proc, lt, cal)
        after = (
            proc.notice_due,
            proc.statement_due,
            proc.decision_due,
            proc.publication_due,
            proc.rectification_due,
            proc.interview_due,
        )
        if before != after:
            result.deadlines_refreshed += 1
    session.flush()
    return result


def _escalate(session: Session, lt: ListType, crit: ListDurationCriterion, today: date) -> int:
    """Propose ``lt`` for subjects on ``crit.list_type`` for at least ``months_at_least``."""
    latest_start = add_months(today, -crit.months_at_least)
    sources = list(
        session.scalars(
            select(ListProcedure)
            .where(
                ListProcedure.list_type == crit.list_type,
                ListProcedure.status.in_(ACTIVE_STATUSES),
                ListProcedure.starts_on <= latest_start,
            )
            .order_by(ListProcedure.id)
        )
    )
    made = 0
    source_name = get_list_rules().get(crit.list_type).name_zh
    for src in sources:
        dedup = f"{lt.code}:escalation:{src.id}"
        if session.scalar(select(ListProcedure.id).where(ListProcedure.dedup_key == dedup)) is not None:
            continue
        if _current_procedure(session, src.subject_id, lt.code) is not None:
            continue
        department = (
            src.department_code
            if lt.deciding_department.rule in ("source_list", "proposer", "record_provider")
            else None
        )
        propose(
            session,
            list_type=lt.code,
            subject_id=src.subject_id,
            actor=SYSTEM,
            reasons=f"{crit.name_zh}：自{src.starts_on}起列入{source_name}（决定书 {src.decision_document or '—'}）",
            basis_record_id=src.basis_record_id,
            department_code=department,
            on=today,
            today=today,
            origin="escalation",
            criterion=crit.code,
            dedup_key=dedup,
            source_procedure_id=src.id,
        )
        made += 1
    return made
