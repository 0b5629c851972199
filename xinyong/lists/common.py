"""Lists: the procedure, its views, the outbox consumer and the daily tick (``service`` re-exports the public names)."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import add_months
from xinyong.core.calendar import BASIS_ZH, NOTICE, PROVISIONAL, WorkCalendar, load_calendar
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound, UnknownCalendarYear
from xinyong.core.events import Event, emit, pending, wait_for_writers
from xinyong.creditstate import service as creditstate_service
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
    AUTOMATIC_EXITS,
    GradeCriterion,
    ListDurationCriterion,
    ListRules,
    ListType,
    RecordCriterion,
    get_list_rules,
)
from xinyong.lists.schemas import (
    Announcement,
    LiablePersonView,
    MemberPage,
    ProcedurePage,
    ProcedureView,
    PublicLiablePerson,
    PublicMember,
    QueueItem,
    StepView,
    SubjectRef,
    TickResult,
)
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

if TYPE_CHECKING:
    from xinyong.subjects.common import SubjectView

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


@dataclass(frozen=True)
class Actor:
    """Who acts, as plain values (the API builds it from the request's principal)."""

    label: str  # user:zhangsan, key:3f2a…, system:lists (kept in the history and the ledger)
    role: str  # system | provider | credit_office | admin | regulator | subject
    provider_code: str | None = None  # a provider acts for its own department only
    subject_id: int | None = None  # a subject account acts for its own subject only


SYSTEM = Actor("system:lists", "system")
_STAFF_ROLES = frozenset({"system", "credit_office", "admin"})


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
        view.steps = [
            StepView(
                seq=s.seq,
                action=s.action,
                action_zh=ACTION_ZH.get(s.action, s.action),
                from_status=s.from_status,
                to_status=s.to_status,
                on=s.on_date,
                actor=s.actor,
                document_number=s.document_number,
                text=s.text,
                data=dict(s.data or {}),
                created_at=s.created_at,
            )
            for s in steps
        ]
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
    if actor.role in _STAFF_ROLES or actor.role == "regulator":
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
    if actor.role in _STAFF_ROLES:
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
    day = on or today
    if day > today:
        raise InvalidInput(
            f"A step cannot be dated in the future ({day})",
            f"办理日期不能晚于今天（{day}）",
            code="lists.future_date",
            field="on",
            value=day.isoformat(),
        )
    if proc is not None:
        last = _last_step_date(session, proc)
        if day < last:
            raise InvalidInput(
                f"A step cannot be dated before the previous step ({last})",
                f"办理日期不能早于上一环节的日期（{last}）",
                code="lists.date_before_previous_step",
                field="on",
                value=day.isoformat(),
                previous=last.isoformat(),
            )
    return day


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
    session: Session, proc: ListProcedure, rules: ListRules, today: date, **step: Any
) -> ProcedureView:
    """Record the step (see :func:`_record_step`) and answer with the procedure as it now stands."""
    _record_step(session, proc, **step)
    return _view(session, proc, rules, today)


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
    seq = (session.scalar(select(func.max(ListStep.seq)).where(ListStep.procedure_id == proc.id)) or 0) + 1
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


# ---------------------------------------------------------------------------------------------
# Transitions


def propose(
    session: Session,
    *,
    list_type: str,
    subject_id: int,
    actor: Actor,
    reasons: str,
    legal_basis: str | None = None,
    basis_record_id: int | None = None,
    department_code: str | None = None,
    on: date | None = None,
    today: date | None = None,
    origin: str = "manual",
    criterion: str | None = None,
    dedup_key: str | None = None,
    source_procedure_id: int | None = None,
) -> ProcedureView:
    """Start a procedure (提议列入). A provider proposes for its own department; the credit office
    for any department it names (or itself). One open or active procedure per subject and type."""

    today = today or today_china()
    rules = get_list_rules()
    lt = rules.get(list_type)
    if actor.role not in ("system", "provider", "credit_office"):
        raise Forbidden(
            "Only a department or the credit office proposes a listing",
            "只有认定部门或信用办可以提议列入名单",
            code="lists.not_allowed",
            action="propose",
        )
    subject = subjects_service.get_subject(session, subject_id)
    if subject.merged_into_id is not None:
        raise Conflict(
            "The subject was merged into another one",
            "该主体已被合并，请对合并后的主体办理",
            code="lists.subject_merged",
            subject_id=subject_id,
            merged_into_id=subject.merged_into_id,
        )
    if subject.kind not in lt.subject_kinds:
        raise InvalidInput(
            f"A {subject.kind} cannot be put on {lt.code}",
            f"该类主体不适用{lt.name_zh}",
            code="lists.subject_kind",
            subject_kind=subject.kind,
            allowed=list(lt.subject_kinds),
        )
    reasons = _required_text(
        reasons,
        "A proposal needs its reasons",
        "请填写提议列入的理由",
        field="reasons",
        code="lists.reasons_required",
    )
    if _current_procedure(session, subject_id, lt.code) is not None:
        raise Conflict(
            "The subject already has an open or active procedure of this list",
            f"该主体已有正在办理或生效中的{lt.name_zh}认定程序",
            code="lists.already_in_procedure",
            subject_id=subject_id,
            list_type=lt.code,
        )
    if dedup_key and session.scalar(select(ListProcedure.id).where(ListProcedure.dedup_key == dedup_key)):
        raise Conflict("Already proposed", "已提议", code="lists.already_proposed", dedup_key=dedup_key)
    if basis_record_id is not None:
        record = records_service.get_record(session, basis_record_id)
        if record.subject_id != subject_id:
            raise InvalidInput(
                "The basis record belongs to another subject",
                "据以提议的信用记录不属于该主体",
                code="lists.record_of_other_subject",
                field="basis_record_id",
                value=basis_record_id,
            )
    rule = lt.deciding_department.rule
    department: str | None
    if actor.role == "provider":
        if rule == "credit_office":
            raise Forbidden(
                "This list is decided by the credit office",
                f"{lt.name_zh}由{lt.deciding_department.name_zh}认定，信息提供单位不能提议",
                code="lists.credit_office_decides",
                list_type=lt.code,
            )
        department = actor.provider_code
    elif rule == "credit_office":
        department = None
    else:
        department = department_code or None
    if department is not None:
        department = _check_department(session, department)
    day = _step_date(session, None, on, today)
    cal = load_calendar(session)
    proc = ListProcedure(
        list_type=lt.code,
        list_kind=lt.kind,
        subject_id=subject_id,
        status="proposed",
        origin=origin,
        criterion=criterion,
        basis_record_id=basis_record_id,
        source_procedure_id=source_procedure_id,
        dedup_key=dedup_key,
        department_code=department,
        department_name=_department_name(session, department, lt),
        reasons=reasons,
        legal_basis=(legal_basis or "").strip() or lt.basis_text,
        deadlines_from=lt.deadlines_on(day).effective_from,
        duration_from=lt.duration_on(day).effective_from,
        proposed_on=day,
        proposed_by=actor.label,
        interview_count=0,
    )
    session.add(proc)
    session.flush()
    _refresh_deadlines(proc, lt, cal)
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="propose",
        event_type="list.proposed",
        from_status=None,
        actor=actor,
        on=day,
        text_=reasons,
        data={"origin": origin, "criterion": criterion, "basis_record_id": basis_record_id},
    )


def _required_text(
    value: str | None, message: str, message_zh: str, *, field: str, code: str = "lists.text_required"
) -> str:
    """``value`` stripped; refused (``InvalidInput``) when nothing is left."""
    content = (value or "").strip()
    if not content:
        raise InvalidInput(message, message_zh, code=code, field=field)
    return content


def _step_not_applicable(lt: ListType, step: str, message: str, message_zh: str) -> Conflict:
    return Conflict(message, message_zh, code="lists.step_not_applicable", step=step, list_type=lt.code)


def _begin(
    session: Session, procedure_id: int, action: str, actor: Actor, on: date | None, today: date | None
) -> tuple[ListProcedure, ListType, ListRules, date, date]:
    today = today or today_china()
    rules = get_list_rules()
    proc = _load(session, procedure_id)
    _require_may_act(actor, proc, action)
    allowed = _ALLOWED_FROM[action]
    if proc.status not in allowed:
        raise _invalid_transition(proc, action, allowed)
    lt = rules.get(proc.list_type)
    day = _step_date(session, proc, on, today)
    return proc, lt, rules, day, today


def notice(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    text: str | None = None,
    document_number: str | None = None,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """告知: tell the subject the reasons and the basis and when its statement period ends."""
    proc, lt, rules, day, today = _begin(session, procedure_id, "notice", actor, on, today)
    if not lt.procedure.notice:
        raise _step_not_applicable(lt, "notice", f"{lt.code} has no notice step", f"{lt.name_zh}不设告知环节")
    cal = load_calendar(session)
    from_status = proc.status
    proc.status = "noticed"
    proc.noticed_on = day
    _refresh_deadlines(proc, lt, cal)
    subject = _subject_ref(session, proc.subject_id)
    content = (text or "").strip()
    if not content:
        template = lt.procedure.notice_template_zh.strip() or _DEFAULT_NOTICE
        content = template.format(
            subject=subject.name,
            list=lt.name_zh,
            department=proc.department_name,
            reasons=proc.reasons,
            basis=proc.legal_basis,
            statement_due=proc.statement_due.isoformat() if proc.statement_due else "法定期限届满",
        )
    _record_step(
        session,
        proc,
        action="notice",
        event_type="list.noticed",
        from_status=from_status,
        actor=actor,
        on=day,
        text_=content,
        document_number=document_number,
        data={"statement_due": proc.statement_due.isoformat() if proc.statement_due else None},
    )
    return _view(session, proc, rules, today, subject=subject)


def file_statement(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    text: str,
    hearing_requested: bool = False,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """陈述申辩: the subject states its case within the statement period (the subject itself, or
    the department recording a statement received on paper)."""
    proc, lt, rules, day, today = _begin(session, procedure_id, "statement", actor, on, today)
    if not lt.procedure.statement:
        raise _step_not_applicable(
            lt, "statement", f"{lt.code} has no statement step", f"{lt.name_zh}不设陈述申辩环节"
        )
    if proc.statement_due is not None and day > proc.statement_due:
        raise Conflict(
            f"The statement period ended on {proc.statement_due}",
            f"陈述申辩期已于{proc.statement_due}届满",
            code="lists.statement_period_over",
            statement_due=proc.statement_due.isoformat(),
        )
    content = _required_text(text, "A statement needs its text", "请填写陈述申辩内容", field="text")
    cal = load_calendar(session)
    proc.status = "heard"
    proc.statement_on = day
    _refresh_deadlines(proc, lt, cal)
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="statement",
        event_type="list.statement_filed",
        from_status="noticed",
        actor=actor,
        on=day,
        text_=content,
        data={"hearing_requested": bool(hearing_requested)},
    )


def _liable_persons(
    session: Session,
    proc: ListProcedure,
    lt: ListType,
    given: Sequence[dict[str, Any]] | None,
    day: date,
) -> list[ListLiablePerson]:
    """The persons liable with a listed organisation: as given in the decision, else the
    registered legal representative and actual controller (linked natural-person subjects)."""

    subject = subjects_service.get_subject(session, proc.subject_id)
    if subject.kind == "natural_person":
        return []
    out: list[ListLiablePerson] = []
    if given is not None:
        for g in given:
            role = str(g.get("role") or "")
            if role not in ROLE_ZH:
                raise InvalidInput(
                    f"Unknown liable role {role!r}",
                    "责任人员类别不正确",
                    code="lists.liable_role",
                    field="role",
                    value=role,
                )
            person_id: int | None = None
            name = str(g.get("name") or "").strip()
            code = str(g.get("subject_code") or "").strip()
            if code:
                person = subjects_service.get_by_code(session, code)
                if person.kind != "natural_person":
                    raise InvalidInput(
                        "A liable person must be a natural person",
                        "责任人员须为自然人",
                        code="lists.liable_not_person",
                        field="subject_code",
                    )
                person_id, name = person.id, name or person.name
            if not name:
                raise InvalidInput(
                    "A liable person needs a name or an ID number",
                    "请填写责任人员姓名或身份证号码",
                    code="lists.liable_name_required",
                    field="liable_persons",
                )
            out.append(
                ListLiablePerson(
                    procedure_id=proc.id, subject_id=person_id, name=name[:100], role=role, source="decision"
                )
            )
        return out
    wanted = set(lt.procedure.liable_persons)
    seen: set[tuple[str, int]] = set()
    for rel in subjects_service.list_relations(session, proc.subject_id):
        if rel.direction != "outgoing" or (rel.until is not None and rel.until < day):
            continue
        for role, rel_role in _RELATION_FOR_ROLE.items():
            if role in wanted and rel.role == rel_role and rel.other.kind == "natural_person":
                if (role, rel.related_subject_id) in seen:
                    continue
                seen.add((role, rel.related_subject_id))
                out.append(
                    ListLiablePerson(
                        procedure_id=proc.id,
                        subject_id=rel.related_subject_id,
                        name=rel.other.name[:100],
                        role=role,
                        source="relation",
                    )
                )
    if (
        "legal_representative" in wanted
        and subject.legal_representative
        and not any(p.role == "legal_representative" for p in out)
    ):
        out.append(
            ListLiablePerson(
                procedure_id=proc.id,
                subject_id=None,
                name=subject.legal_representative[:100],
                role="legal_representative",
                source="registration",
            )
        )
    return out


def decide(
    session: Session,
    procedure_id: int,
    *,
    actor: Actor,
    outcome: str,
    reasons: str,
    legal_basis: str | None = None,
    document_number: str | None = None,
    signed_by: str | None = None,
    liable_persons: Sequence[dict[str, Any]] | None = None,
    on: date | None = None,
    today: date | None = None,
) -> ProcedureView:
    """认定决定: list the subject (``outcome='list'``: a decision document, reasons, legal basis,
    liable persons; the listing period starts) or not (``'dismiss'``). Not before the statement
    period is over unless the subject has stated its case."""
    proc, lt, rules, day, today = _begin(session, procedure_id, "decide", actor, on, today)
    if outcome not in ("list", "dismiss"):
        raise InvalidInput(
            "outcome is list or dismiss",
            "决定结果应为列入或不予列入",
            code="lists.bad_outcome",
            field="outcome",
            value=outcome,
        )
    if proc.status == "proposed" and lt.procedure.notice:
        raise _invalid_transition(proc, "decide", ("noticed", "heard"))
    if proc.status == "noticed" and lt.procedure.statement:
        if proc.statement_due is None:
            raise Conflict(
                "The end of the statement period is not known yet (working-day calendar)",
                "陈述申辩期的截止日期尚无法推算（工作日历缺少该年份），暂不能作出决定",
                code="lists.statement_period_unknown",
            )
        if day <= proc.statement_due:
            raise Conflict(
                f"The statement period runs until {proc.statement_due}",
                f"陈述申辩期至{proc.statement_due}届满，期间不能作出决定",
                code="lists.statement_period_running",
                statement_due=proc.statement_due.isoformat(),
            )
    reasons = _required_text(
        reasons,
        "A decision needs its reasons",
        "请填写决定理由",
        field="reasons",
        code="lists.reasons_required",
    )
    basis = (legal_basis or "").strip() or proc.legal_basis or lt.basis_text
    cal = load_calendar(session)
    from_status = proc.status
    data: dict[str, Any] = {"outcome": outcome, "legal_basis": basis}
    if outcome == "dismiss":
        proc.status = "dismissed"
        proc.decided_on = day
        proc.decision_document = (document_number or "").strip() or None
        _refresh_deadlines(proc, lt, cal)
        event_type = "list.dismissed"
    else:
        doc = _required_text(
            document_number,
            "A listing decision needs its document number",
            "列入决定须制作决定书并填写文号",
            field="document_number",
            code="lists.document_required",
        )
        signer = (signed_by or "").strip()
        if lt.procedure.signed_decision and not signer:
            raise InvalidInput(
                "The decision must be signed by the head of the agency",
                "该名单的列入决定书应当由本机关负责人签发，请填写签发人",
                code="lists.signature_required",
                field="signed_by",
            )
        persons = _liable_persons(session, proc, lt, liable_persons, day)
        duration = lt.duration_version(proc.duration_from, proc.proposed_on)
        proc.status = "listed"
        proc.decided_on = day
        proc.decision_document = doc[:200]
        proc.legal_basis = basis
        proc.starts_on = day
        proc.ends_on = add_months(day, duration.months) - timedelta(days=1) if duration.months else None
        proc.min_end = add_months(day, duration.min_months) if duration.min_months else day
        for p in persons:
            session.add(p)
        session.flush()
        _refresh_deadlines(proc, lt, cal)
        data.update(
            {"signed_by": signer or None, "ends_on": proc.ends_on.isoformat() if proc.ends_on else None}
        )
        event_type = "list.entered"
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="decide",
        event_type=event_type,
        from_status=from_status,
        actor=actor,
        on=day,
        text_=reasons,
        document_number=proc.decision_document,
        data=data,
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
    proc, lt, rules, day, today = _begin(session, procedure_id, "publish", actor, on, today)
    if not lt.procedure.publication:
        raise _step_not_applicable(
            lt, "publication", f"{lt.code} is not published", f"{lt.name_zh}不向社会公布"
        )
    proc.status = "published"
    proc.published_on = day
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="publish",
        event_type="list.published",
        from_status="listed",
        actor=actor,
        on=day,
        document_number=(document_number or "").strip() or None,
    )


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
    proc, lt, rules, day, today = _begin(session, procedure_id, "interview", actor, on, today)
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
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="interview",
        event_type="list.interviewed",
        from_status=proc.status,
        actor=actor,
        on=day,
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
    proc, lt, rules, day, today = _begin(session, procedure_id, "rectify", actor, on, today)
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
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="rectify",
        event_type="list.rectified",
        from_status=proc.status,
        actor=actor,
        on=day,
        text_=content,
    )


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
    proc, lt, rules, day, today = _begin(session, procedure_id, "exit", actor, on, today)
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
    from_status = proc.status
    proc.status = "exited"
    proc.exited_on = day
    proc.exit_reason = reason
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="exit",
        event_type="list.exited",
        from_status=from_status,
        actor=actor,
        on=day,
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
    proc, _lt, rules, day, today = _begin(session, procedure_id, "withdraw", actor, on, today)
    content = _required_text(text, "A withdrawal needs its reasons", "请填写撤回理由", field="text")
    from_status = proc.status
    proc.status = "withdrawn"
    return _take_step(
        session,
        proc,
        rules,
        today,
        action="withdraw",
        event_type="list.withdrawn",
        from_status=from_status,
        actor=actor,
        on=day,
        text_=content,
    )


# ---------------------------------------------------------------------------------------------
# Reading


def procedure_exists(session: Session, *, dedup_key: str) -> bool:
    """Whether a procedure with this dedup key exists (in any state)."""
    return session.scalar(select(ListProcedure.id).where(ListProcedure.dedup_key == dedup_key)) is not None


def count_procedures(session: Session) -> int:
    """How many procedures there are, in every state."""
    return session.scalar(select(func.count(ListProcedure.id))) or 0


def procedure_subject_ids(session: Session) -> set[int]:
    """The subjects that have any procedure, in any state."""
    return set(session.scalars(select(ListProcedure.subject_id)))


def procedure_list_type(session: Session, procedure_id: int) -> str:
    """The list type code of a procedure (``NotFound`` if there is none)."""
    return _load(session, procedure_id).list_type


def procedure_status_counts(session: Session) -> dict[str, int]:
    """How many procedures are in each status, by status code in order."""
    rows = session.execute(select(ListProcedure.status, func.count()).group_by(ListProcedure.status))
    return dict(sorted((status, n) for status, n in rows))


def get_procedure(
    session: Session, procedure_id: int, *, actor: Actor, today: date | None = None
) -> ProcedureView:
    """One procedure with its history and liable persons, if ``actor`` may see it."""
    proc = _load(session, procedure_id)
    if not _may_see(actor, proc):
        raise NotFound(
            f"No list procedure {procedure_id}",
            "未找到该名单认定程序",
            code="lists.procedure_not_found",
            procedure_id=procedure_id,
        )
    return _view(session, proc, get_list_rules(), today or today_china(), with_steps=True)


def _visible(actor: Actor) -> list[Any]:
    if actor.role in _STAFF_ROLES or actor.role == "regulator":
        return []
    if actor.role == "provider" and actor.provider_code:
        return [ListProcedure.department_code == actor.provider_code]
    if actor.role == "subject" and actor.subject_id is not None:
        return [ListProcedure.subject_id == actor.subject_id]
    return [ListProcedure.id < 0]


def _check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= 200:
        raise InvalidInput(
            "page must be >= 1 and per_page between 1 and 200",
            "页码须不小于1，每页条数须在1到200之间",
            code="lists.bad_page",
            page=page,
            per_page=per_page,
        )


def list_procedures(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    list_type: str | None = None,
    subject_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> ProcedurePage:
    """Procedures ``actor`` may see (a provider: its department's; a subject: its own), newest first."""
    _check_page(page, per_page)
    conditions = _visible(actor)
    if status:
        conditions.append(ListProcedure.status == status)
    if list_type:
        conditions.append(ListProcedure.list_type == list_type)
    if subject_id is not None:
        conditions.append(ListProcedure.subject_id == subject_id)
    total = session.scalar(select(func.count()).select_from(ListProcedure).where(*conditions)) or 0
    rows = session.scalars(
        select(ListProcedure)
        .where(*conditions)
        .order_by(ListProcedure.proposed_on.desc(), ListProcedure.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rules, day = get_list_rules(), today or today_china()
    return ProcedurePage(
        total=total, page=page, per_page=per_page, items=[_view(session, p, rules, day) for p in rows]
    )


def subject_procedures(
    session: Session, subject_id: int, *, today: date | None = None
) -> list[ProcedureView]:
    """Every procedure about one subject (its own view: the subject sees and answers them)."""
    rules, day = get_list_rules(), today or today_china()
    subject = _subject_ref(session, subject_id)
    rows = session.scalars(
        select(ListProcedure)
        .where(ListProcedure.subject_id == subject_id)
        .order_by(ListProcedure.proposed_on.desc(), ListProcedure.id.desc())
    )
    return [_view(session, p, rules, day, subject=subject, with_steps=True) for p in rows]


def queue(
    session: Session,
    *,
    actor: Actor,
    today: date | None = None,
    overdue_only: bool = False,
    list_type: str | None = None,
) -> list[QueueItem]:
    """The procedures waiting for a step, with the step's working-day deadline: overdue ones first
    (most late first), then by deadline. A provider sees its department's."""
    today = today or today_china()
    rules = get_list_rules()
    cal = load_calendar(session)
    conditions = [*_visible(actor), ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES)]
    if list_type:
        conditions.append(ListProcedure.list_type == list_type)
    items: list[QueueItem] = []
    for proc in session.scalars(select(ListProcedure).where(*conditions).order_by(ListProcedure.id)):
        nxt = _next_step(proc, _rules_or_none(rules, proc.list_type), today)
        if nxt is None:
            continue
        step, due = nxt
        overdue = _is_overdue(step, due, today)
        if overdue_only and not overdue:
            continue
        late: int | None = None
        if overdue and due is not None:
            try:
                late = cal.working_days_between(due, today)
            except UnknownCalendarYear:
                late = None
        items.append(
            QueueItem(
                procedure=_view(session, proc, rules, today),
                step=step,
                step_zh=STEP_ZH[step],
                due=due,
                overdue=overdue,
                overdue_working_days=late,
                due_unknown=due is None and step != "statement",
            )
        )
    items.sort(key=lambda q: (not q.overdue, q.due or date.max, q.procedure.id))
    return items


def _public_member(session: Session, proc: ListProcedure, lt: ListType | None) -> PublicMember:
    s = subjects_service.get_subject(session, proc.subject_id)
    person = s.kind == "natural_person"
    return PublicMember(
        procedure_id=proc.id,
        list_type=proc.list_type,
        list_name_zh=lt.name_zh if lt else proc.list_type,
        list_kind=proc.list_kind,
        subject_name=records_service.public_person_name(s.name) if person else s.name,
        subject_code=s.id_number_masked if person else s.uscc,
        subject_kind=s.kind,
        department_name=proc.department_name,
        decision_document=proc.decision_document,
        decided_on=proc.decided_on,
        published_on=proc.published_on,
        ends_on=proc.ends_on,
        reasons=proc.reasons,
        legal_basis=proc.legal_basis,
    )


def _public_types(rules: ListRules, list_type: str | None, kind: str | None) -> list[str]:
    return [
        t.code
        for t in rules.all()
        if t.procedure.publication
        and (list_type is None or t.code == list_type)
        and (kind is None or t.kind == kind)
    ]


def public_members(
    session: Session,
    *,
    list_type: str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> MemberPage:
    """Members of the published lists (public fields only), newest publication first."""
    _check_page(page, per_page)
    rules = get_list_rules()
    if list_type:
        rules.get(list_type)
    codes = _public_types(rules, list_type, kind)
    conditions = [ListProcedure.status == "published", ListProcedure.list_type.in_(codes)]
    total = session.scalar(select(func.count()).select_from(ListProcedure).where(*conditions)) or 0
    rows = session.scalars(
        select(ListProcedure)
        .where(*conditions)
        .order_by(ListProcedure.published_on.desc(), ListProcedure.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [_public_member(session, p, rules.types.get(p.list_type)) for p in rows]
    return MemberPage(total=total, page=page, per_page=per_page, items=items)


def public_counts(session: Session) -> dict[str, int]:
    """Published members per public list type."""
    rules = get_list_rules()
    codes = _public_types(rules, None, None)
    rows = session.execute(
        select(ListProcedure.list_type, func.count())
        .where(ListProcedure.status == "published", ListProcedure.list_type.in_(codes))
        .group_by(ListProcedure.list_type)
    )
    counts = dict.fromkeys(codes, 0)
    counts.update({code: int(n) for code, n in rows})
    return counts


def announcements(
    session: Session, *, list_type: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[int, list[Announcement]]:
    """Announcements of published listings and of their removals, newest first."""
    _check_page(page, per_page)
    rules = get_list_rules()
    codes = _public_types(rules, list_type, None)
    conditions = [ListProcedure.published_on.is_not(None), ListProcedure.list_type.in_(codes)]
    total = session.scalar(select(func.count()).select_from(ListProcedure).where(*conditions)) or 0
    latest = func.coalesce(ListProcedure.exited_on, ListProcedure.published_on)
    rows = session.scalars(
        select(ListProcedure)
        .where(*conditions)
        .order_by(latest.desc(), ListProcedure.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return total, [_announcement(session, p, rules) for p in rows]


def _announcement(session: Session, proc: ListProcedure, rules: ListRules) -> Announcement:
    lt = rules.types.get(proc.list_type)
    persons = session.scalars(
        select(ListLiablePerson).where(ListLiablePerson.procedure_id == proc.id).order_by(ListLiablePerson.id)
    )
    return Announcement(
        member=_public_member(session, proc, lt),
        status=proc.status,
        status_zh=STATUS_ZH.get(proc.status, proc.status),
        liable_persons=[
            PublicLiablePerson(role=p.role, role_zh=ROLE_ZH.get(p.role, p.role), name=p.name) for p in persons
        ],
        exit_conditions=[e.name_zh for e in lt.exit_conditions] if lt else [],
        exited_on=proc.exited_on,
        exit_reason_zh=EXIT_ZH.get(proc.exit_reason) if proc.exit_reason else None,
    )


def announcement(session: Session, procedure_id: int) -> Announcement:
    """The public announcement of one published listing (NotFound for anything unpublished)."""
    rules = get_list_rules()
    proc = session.get(ListProcedure, procedure_id)
    lt = rules.types.get(proc.list_type) if proc is not None else None
    if proc is None or proc.published_on is None or lt is None or not lt.procedure.publication:
        raise NotFound(
            f"No published listing {procedure_id}",
            "未找到该名单公告",
            code="lists.announcement_not_found",
            procedure_id=procedure_id,
        )
    return _announcement(session, proc, rules)


def memberships(session: Session, subject_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The list memberships and liabilities the credit state rows hold (see the module doc)."""
    return creditstate_service.list_membership_entries(session, subject_ids)


# ---------------------------------------------------------------------------------------------
# The outbox consumer


@dataclass
class _Context:
    rules: ListRules
    providers: dict[int, tuple[str, str]] = field(default_factory=dict)  # provider id -> (code, name)
    # Subjects with an open or active procedure of a list that new negative information ends
    # (red lists): loaded once per run, so other negative records cost no query.
    conditional: set[int] | None = None

    def conditional_subjects(self, session: Session) -> set[int]:
        if self.conditional is None:
            types = [t.code for t in self.rules.types.values() if t.exit_condition("conditions_lost")]
            self.conditional = (
                set(
                    session.scalars(
                        select(ListProcedure.subject_id).where(
                            ListProcedure.list_type.in_(types),
                            ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES),
                        )
                    )
                )
                if types
                else set()
            )
        return self.conditional


def _event_day(ev: Event) -> date:
    moment = ev.created_at
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_CHINA).date()


def process_events(session: Session, limit: int = 10_000) -> int:
    """Consume outbox events: automatic proposals (record and grade criteria), exits when a
    basis record is withdrawn or a red-listed subject gets negative information, and the list
    memberships of every subject a ``list.*`` event names. Idempotent; the cursor moves in the
    caller's transaction. Returns how many events were consumed."""
    if not wait_for_writers(session):
        return 0
    ctx = _Context(rules=get_list_rules())
    consumed = 0
    while True:
        cursor, events = pending(session, CONSUMER, limit)
        if not events:
            return consumed
        affected: set[int] = set()
        for ev in events:
            payload = ev.payload or {}
            if ev.type == MEMBERSHIPS_CHANGED:
                continue  # written by this consumer: nothing to derive
            if ev.type.startswith("list."):
                if ev.subject_id is not None:
                    affected.add(ev.subject_id)
                affected.update(int(s) for s in payload.get("liable_subject_ids") or [])
            elif ev.type in ("record.created", "record.corrected"):
                _on_record(session, ev, ctx)
            elif ev.type == "record.withdrawn":
                _on_record_withdrawn(session, ev, ctx)
            elif ev.type == "evaluation.grade_changed":
                _on_grade(session, ev, ctx)
        _update_memberships(session, affected, ctx.rules)
        cursor.last_event_id = events[-1].id
        session.flush()
        consumed += len(events)


def _provider(session: Session, ctx: _Context, provider_id: int | None) -> tuple[str, str] | None:
    if provider_id is None:
        return None
    if not ctx.providers:
        ctx.providers = {p.id: (p.code, p.name) for p in ingest_service.list_providers(session)}
    return ctx.providers.get(provider_id)


def _on_record(session: Session, ev: Event, ctx: _Context) -> None:
    payload = ev.payload or {}
    item_code, severity = payload.get("item_code"), payload.get("severity")
    subject_id, record_id = payload.get("subject_id"), payload.get("record_id")
    if not isinstance(subject_id, int) or not isinstance(record_id, int):
        return
    day = _event_day(ev)
    # A red-listed subject with new negative information no longer qualifies.
    if (
        severity
        and payload.get("polarity", "negative") == "negative"
        and subject_id in ctx.conditional_subjects(session)
    ):
        for lt in ctx.rules.types.values():
            cond = lt.exit_condition("conditions_lost")
            if cond is None or severity not in cond.on_negative_severities:
                continue
            proc = _current_procedure(session, subject_id, lt.code)
            if proc is None:
                continue
            note = f"新增{severity_zh(severity)}失信信息（信用记录 {record_id}），不再符合{lt.name_zh}条件"
            on = max(day, _last_step_date(session, proc))
            if proc.status in ACTIVE_STATUSES:
                exit_list(
                    session, proc.id, actor=SYSTEM, reason="conditions_lost", text=note, on=on, today=on
                )
            else:
                withdraw(session, proc.id, actor=SYSTEM, text=note, on=on, today=on)
    for lt in ctx.rules.types.values():
        for crit in lt.criteria:
            if not isinstance(crit, RecordCriterion) or item_code not in crit.items:
                continue
            if crit.severities and severity not in crit.severities:
                continue
            _propose_from_record(session, ctx, lt, crit, subject_id, record_id, day)


def severity_zh(code: str | None) -> str:
    return {"minor": "轻微", "general": "一般", "serious": "严重"}.get(code or "", "")


def _eligible_subject(
    session: Session, subject_id: int, lt: ListType, crit: RecordCriterion | GradeCriterion
) -> SubjectView | None:
    """The subject an automatic proposal under ``crit`` of ``lt`` would concern, or None when it
    has a procedure of the list already, sits on an excluding list, is unknown or merged, or is
    of a kind the list type or the criterion does not take."""

    if _current_procedure(session, subject_id, lt.code) is not None:
        return None
    if _active_types(session, subject_id) & set(lt.exclude_lists):
        return None
    try:
        subject = subjects_service.get_subject(session, subject_id)
    except NotFound:
        return None
    if subject.merged_into_id is not None or subject.kind not in lt.subject_kinds:
        return None
    if crit.subject_kinds and subject.kind not in crit.subject_kinds:
        return None
    return subject


def _propose_from_record(
    session: Session,
    ctx: _Context,
    lt: ListType,
    crit: RecordCriterion,
    subject_id: int,
    record_id: int,
    day: date,
) -> None:
    dedup = f"{lt.code}:record:{record_id}"
    if session.scalar(select(ListProcedure.id).where(ListProcedure.dedup_key == dedup)) is not None:
        return
    if _eligible_subject(session, subject_id, lt, crit) is None:
        return
    try:
        record = records_service.get_record(session, record_id)
    except NotFound:
        return
    if record.status != "in_force" or record.subject_id != subject_id:
        return
    data = record.data
    if crit.penalty_types and not set(_codes(data.get("penalty_types"))) & set(crit.penalty_types):
        return
    decided = record.decision_date
    since = add_months(day, -crit.window_months) if crit.window_months else None
    if since is not None and (decided is None or decided < since):
        return
    if crit.min_count > 1:
        matching = [
            r
            for r in records_service.evaluation_records(
                session,
                items=crit.items,
                facts={i: ["penalty_types"] for i in crit.items},
                subject_ids=[subject_id],
            )
            if (not crit.severities or r.severity in crit.severities)
            and (since is None or (r.decision_date is not None and r.decision_date >= since))
            and (
                not crit.penalty_types or set(_codes(r.facts.get("penalty_types"))) & set(crit.penalty_types)
            )
        ]
        if len(matching) < crit.min_count:
            return
    provider = _provider(session, ctx, record.provider_id)
    rule = lt.deciding_department.rule
    department = provider[0] if provider and rule in ("record_provider", "proposer") else None
    try:
        item_name = catalog_service.get_catalog().item(record.item_code).name_zh
    except NotFound:
        item_name = record.item_code
    reasons = f"{crit.name_zh}：{item_name}（{record.document_number}，{decided.isoformat() if decided else '日期不详'}）"
    if crit.min_count > 1:
        reasons += f"，{crit.window_months or ''}个月内共{len(matching)}条"
    auto = lt.procedure.auto_decide
    proposed_on = min(decided, day) if auto and decided else day
    view = propose(
        session,
        list_type=lt.code,
        subject_id=subject_id,
        actor=SYSTEM,
        reasons=reasons,
        basis_record_id=record_id,
        department_code=department,
        on=proposed_on,
        today=max(day, proposed_on),
        origin="automatic",
        criterion=crit.code,
        dedup_key=dedup,
    )
    if auto:
        decided_view = decide(
            session,
            view.id,
            actor=SYSTEM,
            outcome="list",
            reasons=f"{provider[1] if provider else item_name}决定：{reasons}",
            document_number=record.document_number,
            on=proposed_on,
            today=day,
        )
        # A listing whose period was already over when it reached the platform is kept in the
        # history (the tick ends it) but not published.
        still_on = decided_view.ends_on is None or decided_view.ends_on >= day
        if lt.procedure.publication and still_on:
            publish(session, view.id, actor=SYSTEM, on=day, today=day)


def _codes(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        for sep in (";", "；", ",", "，", "、"):
            value = value.replace(sep, ";")
        return [v.strip() for v in value.split(";") if v.strip()]
    return []


def _on_record_withdrawn(session: Session, ev: Event, ctx: _Context) -> None:
    record_id = (ev.payload or {}).get("record_id")
    if not isinstance(record_id, int):
        return
    day = _event_day(ev)
    procs = list(
        session.scalars(
            select(ListProcedure).where(
                ListProcedure.basis_record_id == record_id,
                ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES),
            )
        )
    )
    for proc in procs:
        lt = ctx.rules.types.get(proc.list_type)
        on = max(day, _last_step_date(session, proc))
        note = f"据以列入的信用记录（{record_id}）已被撤销或撤回"
        if proc.status in OPEN_STATUSES:
            withdraw(session, proc.id, actor=SYSTEM, text=note, on=on, today=on)
        elif lt is not None and lt.exit_condition("basis_withdrawn") is not None:
            exit_list(session, proc.id, actor=SYSTEM, reason="basis_withdrawn", text=note, on=on, today=on)


def _on_grade(session: Session, ev: Event, ctx: _Context) -> None:
    payload = ev.payload or {}
    grade, subject_id = payload.get("to_grade"), ev.subject_id
    if not isinstance(subject_id, int) or not grade:
        return
    day = _event_day(ev)
    for lt in ctx.rules.types.values():
        for crit in lt.criteria:
            if not isinstance(crit, GradeCriterion) or grade not in crit.grades:
                continue
            if _eligible_subject(session, subject_id, lt, crit) is None:
                continue
            state = creditstate_service.subject_summary(session, subject_id)
            if (
                crit.max_negative_in_force is not None
                and state.negative_in_force > crit.max_negative_in_force
            ):
                continue
            propose(
                session,
                list_type=lt.code,
                subject_id=subject_id,
                actor=SYSTEM,
                reasons=f"{crit.name_zh}：评价等级 {grade}（模型 {payload.get('model')} {payload.get('version')}）",
                on=day,
                today=day,
                origin="automatic",
                criterion=crit.code,
            )
            if lt.exit_condition("conditions_lost") is not None:
                ctx.conditional_subjects(session).add(subject_id)


def _update_memberships(session: Session, subject_ids: Iterable[int], rules: ListRules) -> None:
    """Re-derive the ``lists`` column of each subject's credit state from the procedures."""
    ids = sorted(set(subject_ids))
    if not ids:
        return
    entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        for p in session.scalars(
            select(ListProcedure).where(
                ListProcedure.subject_id.in_(part), ListProcedure.status.in_(ACTIVE_STATUSES)
            )
        ):
            lt = rules.types.get(p.list_type)
            entries[p.subject_id].append(
                {
                    "list_type": p.list_type,
                    "kind": p.list_kind,
                    "name_zh": lt.name_zh if lt else p.list_type,
                    "procedure_id": p.id,
                    "status": p.status,
                    "published": p.status == "published",
                    "starts_on": p.starts_on.isoformat() if p.starts_on else None,
                    "ends_on": p.ends_on.isoformat() if p.ends_on else None,
                    "department_code": p.department_code,
                    "decision_document": p.decision_document,
                }
            )
        rows = session.execute(
            select(ListLiablePerson, ListProcedure)
            .join(ListProcedure, ListProcedure.id == ListLiablePerson.procedure_id)
            .where(ListLiablePerson.subject_id.in_(part), ListProcedure.status.in_(ACTIVE_STATUSES))
        )
        for person, p in rows:
            lt = rules.types.get(p.list_type)
            months = lt.procedure.liable_restriction_months if lt else None
            until = add_months(p.starts_on, months) - timedelta(days=1) if months and p.starts_on else None
            entries[person.subject_id or 0].append(
                {
                    "liability": p.list_type,
                    "kind": p.list_kind,
                    "name_zh": lt.name_zh if lt else p.list_type,
                    "procedure_id": p.id,
                    "for_subject_id": p.subject_id,
                    "role": person.role,
                    "restricted_until": until.isoformat() if until else None,
                }
            )
    existing = creditstate_service.list_membership_entries(session, ids)
    out: dict[int, list[dict[str, Any]]] = {}
    for sid in ids:
        new = sorted(
            entries.get(sid, []), key=lambda e: (e.get("list_type") or e.get("liability"), e["procedure_id"])
        )
        if new != existing.get(sid, []):
            out[sid] = new
    if not out:
        return
    creditstate_service.set_list_memberships(session, out)
    for sid, new in out.items():
        emit(
            session,
            MEMBERSHIPS_CHANGED,
            subject_id=sid,
            payload={
                "subject_id": sid,
                "lists": sorted({e["list_type"] for e in new if "list_type" in e}),
                "liabilities": sorted({e["liability"] for e in new if "liability" in e}),
            },
        )


def settle(session: Session) -> None:
    """Commit the caller's transition, then bring the memberships up to date. A failure here
    only delays the state (the consumer catches up on its next run) and is logged."""
    session.commit()
    try:
        while process_events(session) > 0:
            session.commit()
        session.commit()
    except Exception:
        session.rollback()
        log.exception("the lists consumer failed after a transition")


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
