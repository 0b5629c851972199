"""Objections (异议) to a credit record: the procedure of the Taizhou ordinance §13 (default) or
the Shenzhen regulations §51 (a second schedule), as data in ``rulesets/default/objections.yaml``.

Filing (by the subject online, or by staff at a window with the day received) marks the record
异议中 at once (:func:`objection_marks`, read by the public pages) and opens the ``compare``
deadline. Then, each step dated, in the history and the ledger (casework):

- ``compare``: the platform compares its copy with the provider's: ``differs`` → correcting (the
  correction is due within the ``correct`` days of receipt); ``matches`` → referred to the
  provider, disclosure suspended, the provider's reply due;
- ``reply`` (the provider, or staff for it): ``holds`` → correcting; ``not_holds`` → upheld;
  ``unverifiable`` → disclosure terminated (suspended);
- ``extend`` (where the schedule allows it, once): the provider's reply deadline moves;
- ``decide``: ``corrected`` (a new record version, reason ``objection``, through records),
  ``upheld`` or ``suspended``;
- ``withdraw``: by the applicant (or staff on their behalf) while open.

Every outcome issues its letter (决定书) from the ruleset's template, kept in the file. The
applicant follows progress with the lookup code (:func:`track`). Overdue staff and provider steps
appear in :func:`queue` and escalate in the daily :func:`tick`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.casework import procedure
from xinyong.casework import service as casework
from xinyong.casework.schemas import OverdueItem, TrackView
from xinyong.catalog import service as catalog_service
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.ingest import service as ingest_service
from xinyong.objections.models import FINAL_STATUSES, OPEN_STATUSES, Objection
from xinyong.objections.rules import ObjectionRules, get_objection_rules
from xinyong.objections.schemas import ObjectionPage, ObjectionView, RecordRef
from xinyong.records import amend as records_amend
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

KIND = "objection"
Actor = casework.Actor
SYSTEM = Actor("system:objections", "system")

STATUS_ZH = {
    "filed": "异议中（待比对）",
    "referred": "异议中（已转信息提供单位核查，中止披露）",
    "correcting": "异议成立，待更正",
    "corrected": "已更正",
    "upheld": "异议不成立，维持原信息",
    "suspended": "无法核实，已终止披露",
    "withdrawn": "已撤回",
}
ACTION_ZH = {
    "file": "提出异议",
    "compare": "信息比对",
    "reply": "信息提供单位回复核查结果",
    "extend": "延长核查期限",
    "decide": "作出处理决定",
    "withdraw": "撤回异议",
    "escalate": "逾期督办",
}
RESULT_ZH = {
    "differs": "平台信息与信息提供单位提供的信息不一致",
    "matches": "平台信息与信息提供单位提供的信息一致，通知核查并中止披露",
    "holds": "异议成立",
    "not_holds": "异议不成立",
    "unverifiable": "信息真实性存在争议或者无法核实",
}
CHANNEL_ZH = {"online": "网上申请", "window": "窗口受理（工作人员代为录入）"}


@dataclass(frozen=True)
class Mark:
    """How an objection marks a record on the public pages."""

    objection_id: int
    status: str
    label_zh: str  # 异议中 / 异议中（中止披露）/ 已终止披露
    suspended: bool  # disclosure suspended or terminated: the content is not shown


PROCEDURE = procedure.Procedure(
    kind=KIND,
    model=Objection,
    department="provider_code",
    code="objections",
    status_zh=STATUS_ZH,
    action_zh=ACTION_ZH,
    rules=get_objection_rules,
    opened_on="received_on",
    schedule_from="schedule_from",
    not_found=lambda i: NotFound(
        f"No objection {i}", "未找到该异议申请", code="objections.not_found", objection_id=i
    ),
    hidden=lambda i: NotFound(f"No objection {i}", "未找到该异议申请", code="objections.not_found"),
)


def _provider_code(session: Session, provider_id: int) -> str:
    for p in ingest_service.list_providers(session):
        if p.id == provider_id:
            return p.code
    raise NotFound(
        f"No provider {provider_id}", "未找到信息提供单位", code="objections.provider", value=provider_id
    )


def _next_step(obj: Objection) -> str | None:
    return {"filed": "compare", "referred": "provider_reply", "correcting": "correct"}.get(obj.status)


def _view(
    session: Session,
    obj: Objection,
    today: date,
    *,
    full: bool = False,
    rules: ObjectionRules | None = None,
    providers: dict[str, str] | None = None,
) -> ObjectionView:
    rules = rules or get_objection_rules()
    schedule = PROCEDURE.schedule(obj, rules)
    record = records_service.get_record(session, obj.record_id)
    try:
        item_name = catalog_service.get_catalog().item(record.item_code).name_zh
    except NotFound:
        item_name = record.item_code
    fields = PROCEDURE.file_fields(session, obj, schedule, today, full=full)
    names = providers if providers is not None else procedure.department_names(session)
    return ObjectionView(
        id=obj.id,
        record=RecordRef(
            id=record.id,
            item_code=record.item_code,
            item_name_zh=item_name,
            document_number=record.document_number,
            decision_date=record.decision_date,
            status=record.status,
        ),
        subject_id=obj.subject_id,
        subject_name=subjects_service.get_subject(session, obj.subject_id).name,
        provider_code=obj.provider_code,
        provider_name=names.get(obj.provider_code, obj.provider_code),
        ground=obj.ground,
        ground_zh=rules.ground(obj.ground).name_zh,
        statement=obj.statement,
        compare_result=obj.compare_result,
        reply_result=obj.reply_result,
        disclosure_suspended=obj.disclosure_suspended,
        decided_on=obj.decided_on,
        corrected_version=obj.corrected_version,
        **fields,
        **procedure.application_fields(obj, schedule, _next_step(obj), fields["deadlines"]),
    )


# --- filing ------------------------------------------------------------------------------------


def file_objection(
    session: Session,
    *,
    record_id: int,
    ground: str,
    statement: str,
    actor: Actor,
    received_on: date | None = None,
    applicant_name: str | None = None,
    schedule: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    today: date | None = None,
) -> ObjectionView:
    """File an objection against a record: by its subject (online) or by staff at a window on
    the subject's behalf (``received_on``: the day the written application was received)."""
    today = today or today_china()
    rules = get_objection_rules()
    rules.ground(ground)
    text = (statement or "").strip()
    if not text:
        raise InvalidInput(
            "An objection needs its statement",
            "请说明异议理由",
            code="objections.statement",
            field="statement",
        )
    try:
        record = records_service.get_record(session, record_id)
    except NotFound:
        raise NotFound(
            f"No record {record_id}",
            "未找到该信用记录",
            code="objections.record_not_found",
            record_id=record_id,
        ) from None
    if actor.role == "subject" and actor.subject_id != record.subject_id:
        # Another subject's record is not there, as far as this caller knows.
        raise NotFound(
            f"No record {record_id}",
            "未找到该信用记录",
            code="objections.record_not_found",
            record_id=record_id,
        )
    channel = PROCEDURE.intake_channel(
        actor,
        received_on,
        today,
        backdated=(
            "Only staff at a window date an objection received earlier",
            "网上申请以提交当日为受理日期，只有窗口工作人员可以填写收件日期",
        ),
        refused=(
            "Only the subject or the credit office's window files an objection",
            "异议由信息主体本人提出，或由信用工作机构窗口代为录入",
        ),
    )
    day = casework.check_step_date(session, None, received_on or today, today)
    open_one = session.scalar(
        select(Objection.id).where(Objection.record_id == record_id, Objection.status.in_(OPEN_STATUSES))
    )
    if open_one is not None:
        raise Conflict(
            "This record already has an objection in progress",
            "该信用记录已有正在办理的异议申请",
            code="objections.already_open",
            record_id=record_id,
            objection_id=open_one,
        )
    sched = rules.schedule(schedule, day)
    subject = subjects_service.get_subject(session, record.subject_id)
    obj = Objection(
        record_id=record_id,
        subject_id=record.subject_id,
        provider_code=_provider_code(session, record.provider_id),
        ground=ground,
        statement=text,
        disclosure_suspended=False,
        **procedure.application_columns(sched, channel, applicant_name, subject.name, actor, day),
    )
    PROCEDURE.open_case(
        session,
        obj,
        files=attachments,
        rule=rules.attachments,
        schedule=sched,
        step="compare",
        actor=actor,
        text=text,
        data={"record_id": record_id, "ground": ground, "channel": channel, "schedule": sched.code},
    )
    return _view(session, obj, today, full=True, rules=rules)


def add_attachment(
    session: Session, objection_id: int, filename: str, content: bytes, *, actor: Actor
) -> ObjectionView:
    """Add a supporting document to an open objection (the applicant or staff)."""
    obj = PROCEDURE.visible(session, actor, objection_id)
    if actor.role == "regulator":
        raise PROCEDURE.hide(objection_id)
    if obj.status in FINAL_STATUSES:
        raise Conflict("The objection is closed", "异议已办结，不能再补充材料", code="objections.closed")
    casework.add_attachment(
        session, PROCEDURE.ref(obj), filename, content, get_objection_rules().attachments, actor.label
    )
    return _view(session, obj, today_china(), full=True)


# --- steps -------------------------------------------------------------------------------------

_ALLOWED_FROM = {
    "compare": ("filed",),
    "reply": ("referred",),
    "extend": ("referred",),
    "decide": OPEN_STATUSES,
    "withdraw": OPEN_STATUSES,
}


def _require(actor: Actor, obj: Objection, action: str) -> None:
    if not PROCEDURE.may_see(actor, obj):
        raise PROCEDURE.hide(obj.id)
    if actor.staff:
        return
    if (
        action in ("reply", "extend")
        and actor.role == "provider"
        and actor.provider_code == obj.provider_code
    ):
        return
    if action == "withdraw" and actor.role == "subject" and actor.subject_id == obj.subject_id:
        return
    raise Forbidden(
        f"A {actor.role} may not {action} an objection",
        f"当前身份无权办理“{ACTION_ZH.get(action, action)}”",
        code="objections.not_allowed",
        action=action,
    )


def _letter(session: Session, obj: Objection, code: str, rules: ObjectionRules, day: date, text: str) -> None:
    record = records_service.get_record(session, obj.record_id)
    try:
        title = catalog_service.get_catalog().item(record.item_code).name_zh
    except NotFound:
        title = record.item_code
    schedule = PROCEDURE.schedule(obj, rules)
    casework.issue_letter(
        session,
        PROCEDURE.ref(obj),
        code,
        rules.letter(code),
        {
            "applicant": obj.applicant_name,
            "filed_on": f"{obj.received_on:%Y年%m月%d日}".replace("年0", "年").replace("月0", "月"),
            "record_title": title,
            "document_number": record.document_number,
            "ground": rules.ground(obj.ground).name_zh,
            "decided_on": f"{day:%Y年%m月%d日}".replace("年0", "年").replace("月0", "月"),
            "version": obj.corrected_version or record.current_version,
            "text": text or "无",
            "basis": schedule.source,
        },
        day,
    )


def _finish(
    session: Session, obj: Objection, outcome: str, day: date, rules: ObjectionRules, text: str
) -> None:
    obj.status = outcome
    obj.decided_on = day
    ref = PROCEDURE.ref(obj)
    if outcome != "withdrawn":
        # The decision is the step that was owed: it is done, on time or late.
        for step in ("compare", "provider_reply", "correct"):
            casework.close_deadline(session, ref, step, day)
    casework.cancel_open_deadlines(session, ref)
    _letter(session, obj, outcome, rules, day, text)


def take_step(
    session: Session,
    objection_id: int,
    *,
    action: str,
    actor: Actor,
    result: str | None = None,
    outcome: str | None = None,
    text: str = "",
    corrections: dict[str, Any] | None = None,
    on: date | None = None,
    today: date | None = None,
) -> ObjectionView:
    """Take one step of the procedure (see the module docstring)."""
    today = today or today_china()
    rules = get_objection_rules()
    obj = PROCEDURE.load(session, objection_id)
    _require(actor, obj, action)
    PROCEDURE.check_transition(
        obj, action, _ALLOWED_FROM, noun=("an objection", "异议"), id_field="objection_id"
    )
    ref = PROCEDURE.ref(obj)
    day = casework.check_step_date(session, ref, on or today, today)
    schedule = PROCEDURE.schedule(obj, rules)
    from_status = obj.status
    content = (text or "").strip()
    data: dict[str, Any] = {}
    if action == "compare":
        if result not in ("differs", "matches"):
            raise _bad_result(result, ("differs", "matches"))
        obj.compare_result, obj.compared_on = result, day
        casework.close_deadline(session, ref, "compare", day)
        if result == "differs":
            # §13③: corrected within the days counted from receipt, not from the comparison.
            obj.status = "correcting"
            casework.open_deadline(session, ref, schedule, "correct", obj.received_on)
        else:
            obj.status = "referred"
            obj.referred_on = day
            obj.disclosure_suspended = True
            casework.open_deadline(session, ref, schedule, "provider_reply", day)
        data = {"result": result, "result_zh": RESULT_ZH[result]}
    elif action == "reply":
        if result not in ("holds", "not_holds", "unverifiable"):
            raise _bad_result(result, ("holds", "not_holds", "unverifiable"))
        obj.reply_result, obj.replied_on = result, day
        casework.close_deadline(session, ref, "provider_reply", day)
        data = {"result": result, "result_zh": RESULT_ZH[result]}
        if result == "holds":
            obj.status = "correcting"
            casework.open_deadline(session, ref, schedule, "correct", day)
        elif result == "not_holds":
            obj.disclosure_suspended = False
            _finish(session, obj, "upheld", day, rules, content)
        else:
            obj.disclosure_suspended = True
            _finish(session, obj, "suspended", day, rules, content)
    elif action == "extend":
        rule = schedule.steps["provider_reply"]
        if rule.extension is None or obj.extended:
            raise Conflict(
                "The reply deadline cannot be extended",
                "该期限方案不允许延长核查期限，或已延长过一次",
                code="objections.no_extension",
                schedule=obj.schedule,
            )
        if not content:
            raise InvalidInput(
                "An extension needs its reason and approval",
                "请填写延长理由（经主要负责人批准）",
                code="objections.text",
                field="text",
            )
        assert obj.referred_on is not None
        obj.extended = True
        casework.open_deadline(
            session, ref, schedule, "provider_reply", obj.referred_on, extra_days=rule.extension
        )
        data = {"extra_working_days": rule.extension}
    elif action == "decide":
        if outcome not in ("corrected", "upheld", "suspended"):
            raise _bad_result(outcome, ("corrected", "upheld", "suspended"), field="outcome")
        if outcome == "corrected":
            if not corrections:
                raise InvalidInput(
                    "A correction needs the corrected fields",
                    "更正须填写更正后的字段内容",
                    code="objections.corrections_required",
                    field="corrections",
                )
            result_ = records_amend.correct(session, obj.record_id, corrections, reason="objection", on=day)
            if result_.outcome == "unchanged":
                raise InvalidInput(
                    "The corrections change nothing",
                    "更正内容与现有信息相同",
                    code="objections.corrections_unchanged",
                    field="corrections",
                )
            obj.corrected_version = result_.version
            obj.disclosure_suspended = False
            data = {"outcome": outcome, "record_version": result_.version, "fields": sorted(corrections)}
        else:
            obj.disclosure_suspended = outcome == "suspended"
            data = {"outcome": outcome}
        _finish(session, obj, outcome, day, rules, content)
    else:  # withdraw
        obj.disclosure_suspended = False
        _finish(session, obj, "withdrawn", day, rules, content)
    PROCEDURE.record(session, obj, action, from_status, day, actor.label, text=content, data=data)
    return _view(session, obj, today, full=True, rules=rules)


def _bad_result(value: str | None, allowed: tuple[str, ...], field: str = "result") -> InvalidInput:
    return InvalidInput(
        f"{field} must be one of {list(allowed)}",
        f"请选择办理结果：{'、'.join(RESULT_ZH.get(a, STATUS_ZH.get(a, a)) for a in allowed)}",
        code="objections.result",
        field=field,
        value=value,
        allowed=list(allowed),
    )


# --- reads -------------------------------------------------------------------------------------


def get_objection(
    session: Session, objection_id: int, *, actor: Actor, today: date | None = None
) -> ObjectionView:
    return _view(session, PROCEDURE.visible(session, actor, objection_id), today or today_china(), full=True)


def list_objections(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    subject_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> ObjectionPage:
    """Objections the caller may see: a subject its own, a provider its department's, staff all."""
    today = today or today_china()
    conditions = PROCEDURE.conditions(
        actor, status=status, subject_id=subject_id, open_statuses=OPEN_STATUSES
    )
    total, rows = PROCEDURE.page(session, conditions, [Objection.id.desc()], page, per_page)
    rules, providers = get_objection_rules(), procedure.department_names(session)
    return ObjectionPage(
        total=total,
        page=page,
        per_page=per_page,
        items=[_view(session, o, today, rules=rules, providers=providers) for o in rows],
    )


def objection_marks(session: Session, record_ids: Sequence[int]) -> dict[int, Mark]:
    """The 异议中 / 终止披露 marks of records (for the public record and subject pages): an open
    objection marks its record at once; a record whose disclosure was terminated stays marked."""
    if not record_ids:
        return {}
    rows = session.scalars(
        select(Objection)
        .where(
            Objection.record_id.in_(list(record_ids)),
            Objection.status.in_((*OPEN_STATUSES, "suspended")),
        )
        .order_by(Objection.id)
    )
    marks: dict[int, Mark] = {}
    for o in rows:
        if o.status == "suspended":
            label = "已终止披露（异议信息无法核实）"
        elif o.disclosure_suspended:
            label = "异议中（中止披露）"
        else:
            label = "异议中"
        marks[o.record_id] = Mark(o.id, o.status, label, o.disclosure_suspended)
    return marks


def queue(
    session: Session, *, actor: Actor, today: date | None = None
) -> list[tuple[OverdueItem, ObjectionView]]:
    """Overdue steps (staff and provider steps past their due date), oldest first; a provider sees
    its department's."""
    today = today or today_china()
    rules = get_objection_rules()
    providers = procedure.department_names(session)
    return [
        (item, _view(session, o, today, rules=rules, providers=providers))
        for item, o in PROCEDURE.overdue(session, actor, OPEN_STATUSES, today)
    ]


def tick(session: Session, today: date) -> int:
    """Escalate (督办) the overdue steps late by their schedule's ``escalate_after``; idempotent."""
    return PROCEDURE.escalate(session, OPEN_STATUSES, today, actor=SYSTEM.label)


def track(session: Session, code: str, today: date | None = None) -> TrackView | None:
    """Progress by lookup code (no login): status, deadlines, letters and dated steps."""
    return PROCEDURE.track(
        session,
        code,
        kind_zh="信用信息异议",
        today=today or today_china(),
    )


def status_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    return PROCEDURE.status_counts(session, actor)


def grounds() -> list[tuple[str, str]]:
    return [(g.code, g.name_zh) for g in get_objection_rules().grounds]


def schedules() -> list[tuple[str, str, str]]:
    rules = get_objection_rules()
    day = today_china()
    return [
        (c, rules.schedule(c, day).name_zh, rules.schedule(c, day).source) for c in rules.schedule_codes()
    ]
