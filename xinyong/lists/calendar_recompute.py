"""Deadlines of list procedures computed on a provisional year, recomputed once its notice is in.

``_refresh_deadlines`` marks a procedure ``calendar_basis = provisional`` when one of its
deadlines reaches a year without its State Council holiday notice. The daily job calls
:func:`recompute_provisional` first thing (before the lists tick refreshes deadlines on its own):
every open or active procedure so marked gets its deadlines recomputed with the calendar in force;
each moved deadline is recorded, old date → new date, as a ``deadline_recomputed`` step in the
procedure's history and in the ledger. Idempotent: a procedure whose deadlines no longer depend
on a provisional year loses its mark, and one that still does keeps it without a step.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.calendar import PROVISIONAL, DateMove, load_calendar
from xinyong.ledger import service as ledger
from xinyong.lists.common import RECOMPUTED, SYSTEM, _refresh_deadlines, next_step_seq
from xinyong.lists.models import FINAL_STATUSES, ListProcedure, ListStep
from xinyong.lists.rules import get_list_rules

DUE_FIELDS = (
    "notice_due",
    "statement_due",
    "decision_due",
    "publication_due",
    "rectification_due",
    "interview_due",
)
FIELD_ZH = {
    "notice_due": "告知期限",
    "statement_due": "陈述申辩期限",
    "decision_due": "作出决定期限",
    "publication_due": "公布期限",
    "rectification_due": "整改期限",
    "interview_due": "约谈期限",
}


def recompute_provisional(session: Session, today: date) -> list[DateMove]:
    """Recompute the deadlines of every non-final procedure marked provisional; record each move.
    The caller commits."""
    rules = get_list_rules()
    cal = load_calendar(session)
    moves: list[DateMove] = []
    procs = session.scalars(
        select(ListProcedure)
        .where(ListProcedure.calendar_basis == PROVISIONAL, ListProcedure.status.not_in(FINAL_STATUSES))
        .order_by(ListProcedure.id)
    )
    for proc in procs:
        lt = rules.types.get(proc.list_type)
        if lt is None:
            continue
        before = {f: getattr(proc, f) for f in DUE_FIELDS}
        _refresh_deadlines(proc, lt, cal)
        mine = [
            DateMove(f"list_procedure:{proc.id}", f, before[f], getattr(proc, f))
            for f in DUE_FIELDS
            if getattr(proc, f) != before[f]
        ]
        if mine:
            _record(session, proc, mine, today)
            moves.extend(mine)
    session.flush()
    return moves


def _record(session: Session, proc: ListProcedure, moves: list[DateMove], today: date) -> None:
    seq = next_step_seq(session, proc)
    text = "；".join(f"{FIELD_ZH[m.field]}由{m.old or '未定'}改为{m.new or '未定'}" for m in moves)
    data = {
        "reason": "calendar_notice_loaded",
        "moves": [m.as_dict() for m in moves],
        "calendar_basis": proc.calendar_basis or "notice",
    }
    session.add(
        ListStep(
            procedure_id=proc.id,
            seq=seq,
            action=RECOMPUTED,
            from_status=proc.status,
            to_status=proc.status,
            on_date=today,
            actor=SYSTEM.label,
            text=f"国务院节假日安排通知导入后重新计算期限：{text}",
            data=data,
        )
    )
    ledger.append(session, "list.deadline_recomputed", f"list_procedure:{proc.id}/s{seq}", data)
