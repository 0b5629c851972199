"""The list procedure after the decision: publish, interview, rectification, exit; and withdrawing
a proposal still open.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from xinyong.catalog.ruleset import add_months
from xinyong.core.calendar import load_calendar
from xinyong.core.errors import Conflict, InvalidInput
from xinyong.lists.common import EXIT_ZH, INTERVIEW_ZH, Actor, _refresh_deadlines
from xinyong.lists.procedure import _begin, _required_text, _step_not_applicable
from xinyong.lists.rules import (
    AUTOMATIC_EXITS,
)
from xinyong.lists.schemas import (
    ProcedureView,
)


def publish(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    document_number: str | None = None,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """公布: publish the listing on the public site (list types that are published)."""
    turn = _begin(session, procedure_id, "publish", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
    if not lt.procedure.publication:
        raise _step_not_applicable(
            lt, "publication", f"{lt.code} is not published", f"{lt.name_zh}不向社会公布"
        )
    proc.status = "published"
    proc.published_on = day
    return turn.take("publish", "list.published", document_number=(document_number or "").strip() or None)


def record_interview(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    kind: str,
    summary: str,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """约谈 (提示 prompt / 警示 warning) by the deciding department when rectification lags; the
    record goes into the subject's file and a new rectification deadline runs from it."""
    turn = _begin(session, procedure_id, "interview", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
    if kind not in INTERVIEW_ZH:
        raise InvalidInput(
            "kind is prompt or warning",
            "约谈类型应为提示约谈或警示约谈",
            code="lists.interview_kind",
            field="kind",
            value=kind,
        )
    if lt.deadlines_version(proc.deadlines_from, proc.proposed_on).rectification_period is None:
        raise _step_not_applicable(
            lt, "interview", f"{lt.code} sets no rectification deadline", f"{lt.name_zh}未设限期整改环节"
        )
    content = _required_text(summary, "An interview needs its record", "请填写约谈记录", field="summary")
    cal = load_calendar(session)
    proc.last_interview_on = day
    proc.interview_count = (proc.interview_count or 0) + 1
    _refresh_deadlines(proc, lt, cal)
    return turn.take(
        "interview",
        "list.interviewed",
        text_=content,
        data={
            "kind": kind,
            "kind_zh": INTERVIEW_ZH[kind],
            "rectification_due": proc.rectification_due.isoformat() if proc.rectification_due else None,
        },
    )


def record_rectification(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    text: str,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """The subject has rectified (verified by the deciding department)."""
    turn = _begin(session, procedure_id, "rectify", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
    if proc.rectified_on is not None:
        raise Conflict(
            "Rectification was already recorded",
            "已记录整改完成",
            code="lists.already_rectified",
            rectified_on=proc.rectified_on.isoformat(),
        )
    content = _required_text(text, "Describe the rectification", "请填写整改情况", field="text")
    cal = load_calendar(session)
    proc.rectified_on = day
    _refresh_deadlines(proc, lt, cal)
    return turn.take("rectify", "list.rectified", text_=content)


def exit_list(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    reason: str,
    text: str,
    document_number: str | None = None,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """移出: end a listing for one of its list type's exit conditions (history is kept). Period
    end and withdrawn basis records are applied by the platform itself."""
    turn = _begin(session, procedure_id, "exit", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
    cond = lt.exit_condition(reason)
    if cond is None:
        raise InvalidInput(
            f"{lt.code} cannot be left for reason {reason!r}",
            f"{lt.name_zh}没有“{EXIT_ZH.get(reason, reason)}”这一移出条件",
            code="lists.exit_reason",
            field="reason",
            value=reason,
            allowed=[e.reason for e in lt.exit_conditions],
        )
    if reason in AUTOMATIC_EXITS and actor.role != "system":
        raise Conflict(
            f"Exit for {reason} is applied by the platform",
            f"“{EXIT_ZH[reason]}”由平台自动移出，无需办理",
            code="lists.exit_automatic",
            reason=reason,
        )
    if reason == "repaired":
        months = cond.min_months
        earliest = (
            add_months(proc.starts_on, months) if months is not None and proc.starts_on else proc.min_end
        )
        if earliest is not None and day < earliest:
            raise Conflict(
                f"Repair is possible from {earliest}",
                f"最短列入期限未满，{earliest}起方可申请信用修复移出",
                code="lists.minimum_period",
                earliest=earliest.isoformat(),
            )
    if cond.requires_rectification and proc.rectified_on is None:
        raise Conflict(
            "The rectification is not recorded yet",
            "尚未记录整改完成，不能以该理由移出",
            code="lists.not_rectified",
        )
    content = _required_text(text, "An exit needs its reasons", "请填写移出理由", field="text")
    proc.status = "exited"
    proc.exited_on = day
    proc.exit_reason = reason
    return turn.take(
        "exit",
        "list.exited",
        text_=content,
        document_number=(document_number or "").strip() or None,
        data={"reason": reason, "reason_zh": EXIT_ZH[reason]},
    )


def withdraw(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    text: str,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """撤回: drop a proposal before the decision."""
    turn = _begin(session, procedure_id, "withdraw", actor, on, today)
    proc = turn.proc
    content = _required_text(text, "A withdrawal needs its reasons", "请填写撤回理由", field="text")
    proc.status = "withdrawn"
    return turn.take("withdraw", "list.withdrawn", text_=content)
