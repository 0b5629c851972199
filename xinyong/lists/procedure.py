"""The list procedure up to the decision: propose, notice, statement, decide, and their helpers
(liable persons, the step a transition begins from).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog.ruleset import add_months
from xinyong.core.calendar import load_calendar
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput
from xinyong.lists.common import (
    _ALLOWED_FROM,
    _DEFAULT_NOTICE,
    _RELATION_FOR_ROLE,
    ROLE_ZH,
    Actor,
    _check_department,
    _current_procedure,
    _department_name,
    _invalid_transition,
    _load,
    _refresh_deadlines,
    _require_may_act,
    _step_date,
    _subject_ref,
    _take_step,
)
from xinyong.lists.models import (
    ListLiablePerson,
    ListProcedure,
)
from xinyong.lists.rules import (
    ListRules,
    ListType,
    get_list_rules,
)
from xinyong.lists.schemas import (
    ProcedureView,
    SubjectRef,
)
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

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
    if basis_record_id is None and lt.procedure.basis_record:
        raise InvalidInput(
            f"A proposal for {lt.code} names its basis record (judgment, penalty or enforcement decision)",
            f"提议列入{lt.name_zh}须指明据以认定的信用记录（判决、行政处罚或行政强制等决定）",
            code="lists.basis_record_required",
            field="basis_record_id",
            value=None,
            rule=f"lists/{lt.code}/procedure/basis_record",
        )
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


@dataclass(frozen=True)
class _Turn:
    """A step begun on a procedure by :func:`_begin`: what it checked and loaded, and the status
    the procedure was in (the step's ``from_status``)."""

    session: Session
    proc: ListProcedure
    lt: ListType
    rules: ListRules
    actor: Actor
    day: date  # the step's date
    today: date
    from_status: str

    def take(
        self, action: str, event_type: str, *, subject: SubjectRef | None = None, **step: Any
    ) -> ProcedureView:
        """Record the step, dated and by whom it began (``_record_step``: ``text_``,
        ``document_number``, ``data``), and answer with the procedure as it now stands."""
        return _take_step(
            self.session,
            self.proc,
            self.rules,
            self.today,
            subject=subject,
            action=action,
            event_type=event_type,
            from_status=self.from_status,
            actor=self.actor,
            on=self.day,
            **step,
        )


def _begin(
    session: Session, procedure_id: int, action: str, actor: Actor, on: date | None, today: date | None
) -> _Turn:
    today = today or today_china()
    rules = get_list_rules()
    proc = _load(session, procedure_id)
    _require_may_act(actor, proc, action)
    allowed = _ALLOWED_FROM[action]
    if proc.status not in allowed:
        raise _invalid_transition(proc, action, allowed)
    lt = rules.get(proc.list_type)
    day = _step_date(session, proc, on, today)
    return _Turn(session, proc, lt, rules, actor, day, today, proc.status)


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
    turn = _begin(session, procedure_id, "notice", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
    if not lt.procedure.notice:
        raise _step_not_applicable(lt, "notice", f"{lt.code} has no notice step", f"{lt.name_zh}不设告知环节")
    cal = load_calendar(session)
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
    return turn.take(
        "notice",
        "list.noticed",
        text_=content,
        document_number=document_number,
        data={"statement_due": proc.statement_due.isoformat() if proc.statement_due else None},
        subject=subject,
    )


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
    turn = _begin(session, procedure_id, "statement", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
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
    return turn.take(
        "statement",
        "list.statement_filed",
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
    turn = _begin(session, procedure_id, "decide", actor, on, today)
    proc, lt, day = turn.proc, turn.lt, turn.day
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
    return turn.take(
        "decide",
        event_type,
        text_=reasons,
        document_number=proc.decision_document,
        data=data,
    )
