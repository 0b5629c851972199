"""Lists: the vocabulary (statuses, actions, steps, roles in Chinese), who acts (:class:`Actor`,
the one of ``core.procedures``), the list types, and the helpers the procedure, its views, the
consumer and the tick share: deadlines, the view of a procedure, who may see and act, recording a
step.

``xinyong.lists.service`` re-exports the public names; its docstring describes the procedure.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.core.calendar import BASIS_ZH, NOTICE, PROVISIONAL, WorkCalendar
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound, UnknownCalendarYear
from xinyong.core.events import emit
from xinyong.core.procedures import Actor, check_step_date, step_fields
from xinyong.ingest import service as ingest_service
from xinyong.ledger import service as ledger
from xinyong.lists.models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    ListLiablePerson,
    ListProcedure,
    ListStep,
)
from xinyong.lists.rules import (
    ListRules,
    ListType,
    get_list_rules,
)
from xinyong.lists.schemas import (
    LiablePersonView,
    ProcedureView,
    StepView,
    SubjectRef,
)
from xinyong.subjects import service as subjects_service

log = logging.getLogger("xinyong.lists")

CONSUMER = "lists"
# Emitted by the consumer after it rewrote a subject's memberships, so the consumers that read
# them (evaluation's on_list feature, push) look again.
MEMBERSHIPS_CHANGED = "list.memberships_changed"

STATUS_ZH = {
    "proposed": "已提议",
    "noticed": "已告知（陈述申辩期）",
    "heard": "已陈述申辩",
    "listed": "已列入",
    "published": "已列入并公布",
    "dismissed": "决定不予列入",
    "withdrawn": "已撤回",
    "exited": "已移出",
}
RECOMPUTED = "deadline_recomputed"  # a step recorded when the daily job moves a deadline
ACTION_ZH = {
    "propose": "提议列入",
    "notice": "告知",
    "statement": "陈述申辩",
    "decide": "作出决定",
    "publish": "公布",
    "interview": "约谈",
    "rectify": "整改",
    "exit": "移出",
    "withdraw": "撤回提议",
    "deadline_recomputed": "期限校正",
}
STEP_ZH = {
    "notice": "待告知",
    "statement": "陈述申辩期",
    "decision": "待作出决定",
    "publication": "待公布",
    "rectification": "限期整改中",
    "interview": "逾期未整改，待约谈",
    "exit": "期限届满，待移出",
}
# Steps the deciding department owes (late = overdue); the others wait for the subject.
_STAFF_STEPS = frozenset({"notice", "decision", "publication", "interview", "exit"})
EXIT_ZH = {
    "period_ended": "列入期限届满",
    "repaired": "信用修复",
    "court_revoked": "人民法院判决撤销",
    "reconsideration_revoked": "行政复议决定撤销",
    "obligation_fulfilled": "已履行相关义务",
    "basis_withdrawn": "认定依据被撤销或撤回",
    "conditions_lost": "不再符合列入条件",
}
ROLE_ZH = {
    "legal_representative": "法定代表人",
    "principal": "主要负责人",
    "controller": "实际控制人",
    "directly_responsible": "直接责任人员",
}
INTERVIEW_ZH = {"prompt": "提示约谈", "warning": "警示约谈"}
# Relation roles (subjects domain) that stand for a liable role.
_RELATION_FOR_ROLE = {"legal_representative": "legal_representative", "controller": "controller"}
_ALLOWED_FROM = {
    "notice": ("proposed",),
    "statement": ("noticed",),
    "decide": ("proposed", "noticed", "heard"),
    "publish": ("listed",),
    "interview": ACTIVE_STATUSES,
    "rectify": ACTIVE_STATUSES,
    "exit": ACTIVE_STATUSES,
    "withdraw": OPEN_STATUSES,
}
_DEFAULT_NOTICE = (
    "{subject}：本机关拟将你方列入{list}。理由：{reasons}。依据：{basis}。"
    "你方有权进行陈述和申辩，请于{statement_due}前向{department}提出。"
)


SYSTEM = Actor("system:lists", "system")


# ---------------------------------------------------------------------------------------------
# List types


def list_types() -> list[ListType]:
    """Every list type of the configured ruleset (red, watch, black; sector lists by sector)."""
    return get_list_rules().all()


def get_list_type(code: str) -> ListType:
    return get_list_rules().get(code)


# ---------------------------------------------------------------------------------------------
# Helpers


def _due(cal: WorkCalendar, start: date | None, n: int | None) -> date | None:
    """The deadline ``n`` working days after ``start``; None when there is no such step or the
    calendar does not know the year yet (the tick fills it in once the year is declared)."""
    if start is None or n is None:
        return None
    try:
        return cal.deadline(start, n)
    except UnknownCalendarYear:
        return None


def _refresh_deadlines(proc: ListProcedure, lt: ListType, cal: WorkCalendar) -> None:
    """Every deadline of the procedure from its step dates and the rule versions it follows."""
    d = lt.deadlines_version(proc.deadlines_from, proc.proposed_on)
    steps = lt.procedure
    proc.notice_due = _due(cal, proc.proposed_on, d.notice_within) if steps.notice else None
    proc.statement_due = (
        _due(cal, proc.noticed_on, d.statement_period) if steps.statement and proc.noticed_on else None
    )
    anchor: date | None
    if steps.statement:
        anchor = proc.statement_on or proc.statement_due
    elif steps.notice:
        anchor = proc.noticed_on
    else:
        anchor = proc.proposed_on
    proc.decision_due = _due(cal, anchor, d.decision_within)
    listed = proc.starts_on is not None
    proc.publication_due = (
        _due(cal, proc.decided_on, d.publication_within) if listed and steps.publication else None
    )
    rect_anchor = max((x for x in (proc.decided_on, proc.last_interview_on) if x is not None), default=None)
    proc.rectification_due = (
        _due(cal, rect_anchor, d.rectification_period) if listed and d.rectification_period else None
    )
    proc.interview_due = (
        _due(cal, proc.rectification_due, d.interview_within)
        if proc.rectification_due and proc.rectified_on is None
        else None
    )
    # A deadline that reaches a year without its holiday notice is provisional: the daily job
    # recomputes it once the notice is loaded (lists.calendar_recompute).
    pairs = (
        (proc.proposed_on, proc.notice_due),
        (proc.noticed_on, proc.statement_due),
        (anchor, proc.decision_due),
        (proc.decided_on, proc.publication_due),
        (rect_anchor, proc.rectification_due),
        (proc.rectification_due, proc.interview_due),
    )
    provisional = any(due is not None and cal.basis(start, due) == PROVISIONAL for start, due in pairs)
    proc.calendar_basis = PROVISIONAL if provisional else None


def _next_step(proc: ListProcedure, lt: ListType | None, today: date) -> tuple[str, date | None] | None:
    """(step, deadline) of what the procedure waits for today, or None."""
    status = proc.status
    if status in FINAL_STATUSES or lt is None:
        return None
    if status == "proposed":
        return ("notice", proc.notice_due) if lt.procedure.notice else ("decision", proc.decision_due)
    if status == "noticed":
        if lt.procedure.statement and (proc.statement_due is None or today <= proc.statement_due):
            return ("statement", proc.statement_due)
        return ("decision", proc.decision_due)
    if status == "heard":
        return ("decision", proc.decision_due)
    # listed / published
    if proc.ends_on is not None and proc.ends_on < today:
        return ("exit", proc.ends_on)
    if status == "listed" and lt.procedure.publication:
        return ("publication", proc.publication_due)
    if proc.rectification_due is not None and proc.rectified_on is None:
        if today > proc.rectification_due:
            return ("interview", proc.interview_due)
        return ("rectification", proc.rectification_due)
    return None


def _is_overdue(step: str, due: date | None, today: date) -> bool:
    return step in _STAFF_STEPS and due is not None and today > due


def _subject_ref(session: Session, subject_id: int) -> SubjectRef:
    s = subjects_service.get_subject(session, subject_id)
    return SubjectRef(id=s.id, kind=s.kind, name=s.name, code=s.uscc or s.id_number_masked)


def _rules_or_none(rules: ListRules, code: str) -> ListType | None:
    return rules.types.get(code)


def _view(
    session: Session,
    proc: ListProcedure,
    rules: ListRules,
    today: date,
    *,
    subject: SubjectRef | None = None,
    with_steps: bool = False,
) -> ProcedureView:
    lt = _rules_or_none(rules, proc.list_type)
    nxt = _next_step(proc, lt, today)
    persons = session.scalars(
        select(ListLiablePerson).where(ListLiablePerson.procedure_id == proc.id).order_by(ListLiablePerson.id)
    )
    view = ProcedureView(
        id=proc.id,
        list_type=proc.list_type,
        list_name_zh=lt.name_zh if lt else proc.list_type,
        list_kind=proc.list_kind,
        subject=subject or _subject_ref(session, proc.subject_id),
        status=proc.status,
        status_zh=STATUS_ZH.get(proc.status, proc.status),
        origin=proc.origin,
        criterion=proc.criterion,
        basis_record_id=proc.basis_record_id,
        source_procedure_id=proc.source_procedure_id,
        department_code=proc.department_code,
        department_name=proc.department_name,
        reasons=proc.reasons,
        legal_basis=proc.legal_basis,
        proposed_on=proc.proposed_on,
        proposed_by=proc.proposed_by,
        notice_due=proc.notice_due,
        noticed_on=proc.noticed_on,
        statement_due=proc.statement_due,
        statement_on=proc.statement_on,
        decision_due=proc.decision_due,
        decided_on=proc.decided_on,
        decision_document=proc.decision_document,
        publication_due=proc.publication_due,
        published_on=proc.published_on,
        starts_on=proc.starts_on,
        ends_on=proc.ends_on,
        min_end=proc.min_end,
        rectification_due=proc.rectification_due,
        rectified_on=proc.rectified_on,
        interview_due=proc.interview_due,
        last_interview_on=proc.last_interview_on,
        interview_count=proc.interview_count or 0,
        exited_on=proc.exited_on,
        exit_reason=proc.exit_reason,
        exit_reason_zh=EXIT_ZH.get(proc.exit_reason) if proc.exit_reason else None,
        calendar_basis=proc.calendar_basis or NOTICE,
        calendar_basis_zh=BASIS_ZH[proc.calendar_basis or NOTICE],
        next_step=nxt[0] if nxt else None,
        next_step_zh=STEP_ZH[nxt[0]] if nxt else None,
        next_due=nxt[1] if nxt else None,
        overdue=_is_overdue(nxt[0], nxt[1], today) if nxt else False,
        liable_persons=[
            LiablePersonView(
                role=p.role,
                role_zh=ROLE_ZH.get(p.role, p.role),
                name=p.name,
                subject_id=p.subject_id,
                source=p.source,
            )
            for p in persons
        ],
    )
    if with_steps:
        steps = session.scalars(
            select(ListStep).where(ListStep.procedure_id == proc.id).order_by(ListStep.seq)
        )
        view.steps = [StepView(**step_fields(s, ACTION_ZH), document_number=s.document_number) for s in steps]
    return view


def _load(session: Session, procedure_id: int) -> ListProcedure:
    proc = session.get(ListProcedure, procedure_id)
    if proc is None:
        raise NotFound(
            f"No list procedure {procedure_id}",
            "未找到该名单认定程序",
            code="lists.procedure_not_found",
            procedure_id=procedure_id,
        )
    return proc


def _may_see(actor: Actor, proc: ListProcedure) -> bool:
    if actor.staff or actor.role == "regulator":
        return True
    if actor.role == "provider":
        return actor.provider_code is not None and proc.department_code == actor.provider_code
    if actor.role == "subject":
        return actor.subject_id is not None and proc.subject_id == actor.subject_id
    return False


def _require_may_act(actor: Actor, proc: ListProcedure, action: str) -> None:
    """Providers act for their own department; subjects only state their case on their own
    procedures; the credit office (and the platform) may act on any procedure."""
    if action == "statement" and actor.role == "subject":
        if actor.subject_id == proc.subject_id:
            return
        raise NotFound(
            f"No list procedure {proc.id}",
            "未找到该名单认定程序",
            code="lists.procedure_not_found",
            procedure_id=proc.id,
        )
    if actor.staff:
        return
    if actor.role == "provider" and actor.provider_code and proc.department_code == actor.provider_code:
        return
    if actor.role == "provider":
        raise Forbidden(
            "This procedure belongs to another department",
            "该名单认定程序由其他部门办理，本单位无权办理（谁认定、谁负责）",
            code="lists.not_your_department",
            procedure_id=proc.id,
            department_code=proc.department_code,
        )
    raise Forbidden(
        f"A {actor.role} may not {action} a list procedure",
        "当前身份无权办理名单认定程序",
        code="lists.not_allowed",
        action=action,
    )


def _invalid_transition(proc: ListProcedure, action: str, allowed: Sequence[str]) -> Conflict:
    state_zh = STATUS_ZH.get(proc.status, proc.status)
    return Conflict(
        f"Cannot {action} a list procedure in state {proc.status!r}",
        f"名单认定程序当前状态为“{state_zh}”，不能{ACTION_ZH.get(action, action)}",
        code="lists.invalid_transition",
        procedure_id=proc.id,
        state=proc.status,
        action=action,
        allowed_from=list(allowed),
    )


def _last_step_date(session: Session, proc: ListProcedure) -> date:
    # A deadline recomputed by the daily job is history, not a step of the procedure: it does not
    # hold back the date of the next real step.
    last = session.scalar(
        select(func.max(ListStep.on_date)).where(
            ListStep.procedure_id == proc.id, ListStep.action != RECOMPUTED
        )
    )
    return last or proc.proposed_on


def _step_date(session: Session, proc: ListProcedure | None, on: date | None, today: date) -> date:
    last = _last_step_date(session, proc) if proc is not None else None
    return check_step_date(on or today, today, last, code="lists")


def _text_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _liable_subject_ids(session: Session, procedure_id: int) -> list[int]:
    return sorted(
        {
            sid
            for sid in session.scalars(
                select(ListLiablePerson.subject_id).where(ListLiablePerson.procedure_id == procedure_id)
            )
            if sid is not None
        }
    )


def _take_step(
    session: Session,
    proc: ListProcedure,
    rules: ListRules,
    today: date,
    *,
    subject: SubjectRef | None = None,
    **step: Any,
) -> ProcedureView:
    """Record the step (see :func:`_record_step`) and answer with the procedure as it now stands
    (``subject``: its subject already looked up)."""
    _record_step(session, proc, **step)
    return _view(session, proc, rules, today, subject=subject)


def next_step_seq(session: Session, proc: ListProcedure) -> int:
    """The number of the procedure's next history step."""
    return (session.scalar(select(func.max(ListStep.seq)).where(ListStep.procedure_id == proc.id)) or 0) + 1


def _record_step(
    session: Session,
    proc: ListProcedure,
    *,
    action: str,
    event_type: str,
    from_status: str | None,
    actor: Actor,
    on: date,
    text_: str = "",
    document_number: str | None = None,
    data: dict[str, Any] | None = None,
) -> ListStep:
    """Append the step, its outbox event and its ledger entry (the caller's transaction)."""
    seq = next_step_seq(session, proc)
    step = ListStep(
        procedure_id=proc.id,
        seq=seq,
        action=action,
        from_status=from_status,
        to_status=proc.status,
        on_date=on,
        actor=actor.label,
        document_number=document_number,
        text=text_,
        data=data or {},
    )
    session.add(step)
    session.flush()
    payload: dict[str, Any] = {
        "subject_id": proc.subject_id,
        "procedure_id": proc.id,
        "list_type": proc.list_type,
        "list_kind": proc.list_kind,
        "action": action,
        "from_status": from_status,
        "status": proc.status,
        "on": on.isoformat(),
        "department_code": proc.department_code,
        "liable_subject_ids": _liable_subject_ids(session, proc.id),
    }
    emit(session, event_type, subject_id=proc.subject_id, payload=payload)
    # The ledger keeps hashes of the texts, never the texts (it can be shown to anyone).
    ledger.append(
        session,
        event_type,
        f"list_procedure:{proc.id}/s{seq}",
        {
            **payload,
            "seq": seq,
            "actor": actor.label,
            "document_number": document_number,
            "text_sha256": _text_hash(text_),
            "data_sha256": _text_hash(ledger.canonical_json(data or {})),
        },
    )
    return step


def _department_name(session: Session, code: str | None, lt: ListType) -> str:
    if code is None:
        return lt.deciding_department.name_zh

    return ingest_service.get_provider(session, code).name


def _check_department(session: Session, code: str) -> str:
    try:
        return ingest_service.get_provider(session, code).code
    except NotFound:
        raise InvalidInput(
            f"Unknown department {code!r}",
            f"决定部门“{code}”不是已登记的信息提供单位",
            code="lists.unknown_department",
            field="department_code",
            value=code,
        ) from None


def _current_procedure(session: Session, subject_id: int, list_type: str) -> ListProcedure | None:
    """The subject's open or active procedure of ``list_type`` (at most one at a time)."""
    return session.scalar(
        select(ListProcedure)
        .where(
            ListProcedure.subject_id == subject_id,
            ListProcedure.list_type == list_type,
            ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES),
        )
        .limit(1)
    )


def _active_types(session: Session, subject_id: int) -> set[str]:
    return set(
        session.scalars(
            select(ListProcedure.list_type).where(
                ListProcedure.subject_id == subject_id, ListProcedure.status.in_(ACTIVE_STATUSES)
            )
        )
    )
