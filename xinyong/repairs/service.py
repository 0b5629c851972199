"""Credit repair (信用修复): ending a penalty's publicity early, leaving a list, repairing other
negative information. Rules as data in ``rulesets/default/repairs.yaml``; free of charge.

- :func:`eligibility` (before applying): 可申请, or 尚不可申请 with the reasons and the earliest
  day; the materials asked for and the commitment text.
- :func:`apply_for` (the subject in ``/me``, or staff at the one intake window): the commitment
  is signed (identity, time, ledger), the materials named and attached; the application is routed
  to the deciding agency (谁认定、谁修复: the record's provider, the listing's department) and
  the ``intake`` deadline opens.
- :func:`take_step`: ``accept`` (the ``decision`` deadline opens) or ``reject`` (不予受理);
  ``extend`` (once, where the schedule allows); ``decide`` granted / refused; ``withdraw``.
- A granted repair is carried out by the next daily :func:`tick` (within the ``stop_publicity``
  deadline): the record's publicity ends (``records.amend.end_publicity``, reason ``repair``:
  the credit state re-derives, evaluation re-grades, push subscribers get
  ``record.publicity_ended``; the measures, which rest on the credit state, stop applying), or the
  listing ends (``lists.exit_list``, reason ``repaired``); an announcement is written.

Every step is in the case history and the ledger (casework); every outcome is a letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.casework import procedure
from xinyong.casework import service as casework
from xinyong.casework.schemas import OverdueItem, TrackView
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.lists import service as lists_service
from xinyong.records import amend as records_amend
from xinyong.repairs.eligibility import Target, eligibility_of, target_of
from xinyong.repairs.models import OPEN_STATUSES, Repair
from xinyong.repairs.rules import RepairRules, get_repair_rules
from xinyong.repairs.schemas import Eligibility, RepairPage, RepairView
from xinyong.subjects import service as subjects_service

KIND = "repair"
Actor = casework.Actor
SYSTEM = Actor("system:repairs", "system")

STATUS_ZH = {
    "filed": "已申请，待受理",
    "accepted": "已受理，待决定",
    "granted": "准予修复，待停止公示",
    "repaired": "已修复",
    "refused": "不予修复",
    "rejected": "不予受理",
    "withdrawn": "已撤回",
}
ACTION_ZH = {
    "file": "提出修复申请并签署信用承诺",
    "accept": "受理",
    "reject": "不予受理",
    "extend": "延长决定期限",
    "decide": "作出修复决定",
    "withdraw": "撤回申请",
    "apply": "停止公示并告知共享单位",
    "escalate": "逾期督办",
}
_ALLOWED_FROM = {
    "accept": ("filed",),
    "reject": ("filed",),
    "extend": ("accepted",),
    "decide": ("accepted",),
    "withdraw": OPEN_STATUSES,
}


# Granted repairs are still open work: the daily tick carries them out by a deadline.
_UNFINISHED = (*OPEN_STATUSES, "granted")
PROCEDURE = procedure.Procedure(
    kind=KIND,
    model=Repair,
    department="department_code",
    code="repairs",
    status_zh=STATUS_ZH,
    action_zh=ACTION_ZH,
    rules=get_repair_rules,
    opened_on="received_on",
    schedule_from="schedule_from",
    not_found=lambda i: NotFound(
        f"No repair {i}", "未找到该信用修复申请", code="repairs.not_found", repair_id=i
    ),
    hidden=lambda i: NotFound(f"No repair {i}", "未找到该信用修复申请", code="repairs.not_found"),
)


def _next_step(r: Repair) -> str | None:
    return {"filed": "intake", "accepted": "decision", "granted": "stop_publicity"}.get(r.status)


def _target_zh(session: Session, r: Repair, rules: RepairRules) -> str:
    try:
        return target_of(
            session, rules, today_china(), record_id=r.record_id, list_procedure_id=r.list_procedure_id
        ).title_zh
    except NotFound:
        return f"#{r.record_id or r.list_procedure_id}"


def _view(
    session: Session, r: Repair, today: date, *, full: bool = False, rules: RepairRules | None = None
) -> RepairView:
    rules = rules or get_repair_rules()
    schedule = PROCEDURE.schedule(r, rules)
    fields = PROCEDURE.file_fields(session, r, schedule, today, full=full)
    names = {m.code: m.name_zh for m in rules.materials}
    return RepairView(
        id=r.id,
        kind=r.kind,
        kind_zh=rules.kind(r.kind).name_zh,
        subject_id=r.subject_id,
        subject_name=subjects_service.get_subject(session, r.subject_id).name,
        record_id=r.record_id,
        list_procedure_id=r.list_procedure_id,
        target_zh=_target_zh(session, r, rules),
        department_code=r.department_code,
        department_name=r.department_name,
        statement=r.statement,
        materials=list(r.materials or []),
        materials_zh=[names.get(m, m) for m in (r.materials or [])],
        commitment_signed_at=r.commitment_signed_at,
        accepted_on=r.accepted_on,
        decided_on=r.decided_on,
        decision_number=r.decision_number,
        applied_on=r.applied_on,
        **fields,
        **procedure.application_fields(r, schedule, _next_step(r), fields["deadlines"]),
    )


# --- eligibility and application ----------------------------------------------------------------


def eligibility(
    session: Session,
    *,
    actor: Actor,
    record_id: int | None = None,
    list_procedure_id: int | None = None,
    today: date | None = None,
) -> Eligibility:
    """可申请 / 尚不可申请（reasons, earliest day), the materials and the commitment text."""
    today = today or today_china()
    rules = get_repair_rules()
    target = _target(session, rules, today, actor, record_id, list_procedure_id)
    return eligibility_of(target, rules)


def _target(
    session: Session,
    rules: RepairRules,
    today: date,
    actor: Actor,
    record_id: int | None,
    list_procedure_id: int | None,
) -> Target:
    try:
        target = target_of(session, rules, today, record_id=record_id, list_procedure_id=list_procedure_id)
    except NotFound:
        target = None
    if target is None or (actor.role == "subject" and actor.subject_id != target.subject_id):
        raise NotFound(
            "No such record or listing",
            "未找到该信用记录或名单",
            code="repairs.target_not_found",
            record_id=record_id,
            list_procedure_id=list_procedure_id,
        )
    if actor.role not in ("subject",) and not actor.staff and actor.role not in ("provider", "regulator"):
        raise Forbidden("Not allowed", "当前身份无权查询", code="repairs.not_allowed")
    return target


def apply_for(
    session: Session,
    *,
    actor: Actor,
    statement: str,
    commitment: bool,
    materials: Sequence[str] = (),
    record_id: int | None = None,
    list_procedure_id: int | None = None,
    received_on: date | None = None,
    applicant_name: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    today: date | None = None,
) -> RepairView:
    """Apply for a repair (the subject online, or staff at the intake window with the day
    received). Refused when not eligible, without the commitment, or without a required material."""
    today = today or today_china()
    rules = get_repair_rules()
    channel = PROCEDURE.intake_channel(
        actor,
        received_on,
        today,
        backdated=(
            "Only staff at a window date an application received earlier",
            "网上申请以提交当日为申请日期，只有窗口工作人员可以填写收件日期",
        ),
        refused=(
            "Only the subject or the intake window applies for a repair",
            "信用修复由信用主体本人申请，或由信用修复受理窗口代为录入",
        ),
    )
    day = casework.check_step_date(session, None, received_on or today, today)
    target = _target(session, rules, day, actor, record_id, list_procedure_id)
    elig = eligibility_of(target, rules)
    if not elig.eligible:
        raise Conflict(
            f"Not eligible: {'; '.join(target.reasons)}",
            elig.message_zh,
            code="repairs.not_eligible",
            reasons=target.reasons,
            earliest_on=target.earliest.isoformat() if target.earliest else None,
        )
    assert target.kind is not None
    if not commitment:
        raise InvalidInput(
            "A repair needs the signed credit commitment",
            "申请信用修复须签署信用承诺书",
            code="repairs.commitment_required",
            field="commitment",
            value=False,
        )
    text = (statement or "").strip()
    if not text:
        raise InvalidInput(
            "Describe how the conduct was corrected",
            "请说明纠正失信行为、履行义务的情况",
            code="repairs.statement",
            field="statement",
        )
    wanted = {m.code for m in rules.materials_for(target.kind)}
    given = sorted(set(materials) | {"commitment"})
    unknown = sorted(set(given) - wanted)
    if unknown:
        raise InvalidInput(
            f"Unknown materials {unknown}",
            f"材料“{'、'.join(unknown)}”不适用于该类修复",
            code="repairs.materials",
            field="materials",
            value=unknown,
        )
    missing = [m for m in rules.materials_for(target.kind) if m.required and m.code not in given]
    if missing:
        raise InvalidInput(
            f"Missing required materials {[m.code for m in missing]}",
            f"缺少必需的材料：{'、'.join(m.name_zh for m in missing)}",
            code="repairs.materials_missing",
            field="materials",
            missing=[m.code for m in missing],
        )
    sched = rules.schedule(None, day)
    subject = subjects_service.get_subject(session, target.subject_id)
    r = Repair(
        kind=target.kind,
        subject_id=target.subject_id,
        record_id=target.record_id,
        list_procedure_id=target.list_procedure_id,
        department_code=target.department_code,
        department_name=target.department_name,
        statement=text,
        materials=given,
        commitment_text=rules.commitment_text_zh,
        commitment_signed_at=datetime.now(UTC),
        **procedure.application_columns(sched, channel, applicant_name, subject.name, actor, day),
    )
    PROCEDURE.open_case(
        session,
        r,
        files=attachments,
        rule=rules.attachments,
        schedule=sched,
        step="intake",
        actor=actor,
        text=text,
        data={
            "kind": target.kind,
            "record_id": target.record_id,
            "list_procedure_id": target.list_procedure_id,
            "department_code": target.department_code,
            "materials": given,
            "commitment_sha256": casework.sha256_text(rules.commitment_text_zh),
            "channel": channel,
        },
    )
    return _view(session, r, today, full=True, rules=rules)


def add_attachment(
    session: Session, repair_id: int, filename: str, content: bytes, *, actor: Actor
) -> RepairView:
    r = PROCEDURE.visible(session, actor, repair_id)
    if actor.role in ("regulator", "provider"):
        raise PROCEDURE.hide(repair_id)
    if r.status not in OPEN_STATUSES:
        raise Conflict("The application is closed", "申请已办结，不能再补充材料", code="repairs.closed")
    casework.add_attachment(
        session, PROCEDURE.ref(r), filename, content, get_repair_rules().attachments, actor.label
    )
    return _view(session, r, today_china(), full=True)


# --- steps ---------------------------------------------------------------------------------------


def _require(actor: Actor, r: Repair, action: str) -> None:
    if not PROCEDURE.may_see(actor, r):
        raise PROCEDURE.hide(r.id)
    if actor.staff:
        return
    if (
        action in ("accept", "reject", "extend", "decide")
        and actor.role == "provider"
        and actor.provider_code == r.department_code
    ):
        return
    if action == "withdraw" and actor.role == "subject" and actor.subject_id == r.subject_id:
        return
    if actor.role == "provider":
        raise Forbidden(
            "This repair is decided by another agency",
            "该信用修复由其他认定单位办理（谁认定、谁修复）",
            code="repairs.not_your_department",
        )
    raise Forbidden(
        f"A {actor.role} may not {action} a repair",
        f"当前身份无权办理“{ACTION_ZH.get(action, action)}”",
        code="repairs.not_allowed",
        action=action,
    )


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _letter(
    session: Session, r: Repair, code: str, rules: RepairRules, day: date, text: str, **extra: str
) -> str:
    values = {
        "applicant": r.applicant_name,
        "filed_on": _zh(r.received_on),
        "kind": rules.kind(r.kind).name_zh,
        "target": _target_zh(session, r, rules),
        "department": r.department_name,
        "decided_on": _zh(day),
        "text": text or "无",
        "basis": PROCEDURE.schedule(r, rules).source,
        "subject": subjects_service.get_subject(session, r.subject_id).name,
        **extra,
    }
    return casework.issue_letter(session, PROCEDURE.ref(r), code, rules.letter(code), values, day).number


def take_step(
    session: Session,
    repair_id: int,
    *,
    action: str,
    actor: Actor,
    outcome: str | None = None,
    text: str = "",
    on: date | None = None,
    today: date | None = None,
) -> RepairView:
    """accept / reject (intake), extend, decide (granted / refused), withdraw."""
    today = today or today_china()
    rules = get_repair_rules()
    r = PROCEDURE.load(session, repair_id)
    _require(actor, r, action)
    PROCEDURE.check_transition(
        r, action, _ALLOWED_FROM, noun=("a repair", "信用修复申请"), id_field="repair_id"
    )
    ref = PROCEDURE.ref(r)
    day = casework.check_step_date(session, ref, on or today, today)
    schedule = PROCEDURE.schedule(r, rules)
    from_status = r.status
    content = (text or "").strip()
    data: dict[str, Any] = {}
    if action in ("reject", "decide", "extend") and not content:
        raise InvalidInput("Give the reasons", "请填写理由", code="repairs.text", field="text")
    if action == "accept":
        r.status, r.accepted_on = "accepted", day
        casework.close_deadline(session, ref, "intake", day)
        casework.open_deadline(session, ref, schedule, "decision", day)
    elif action == "reject":
        r.status, r.decided_on = "rejected", day
        casework.close_deadline(session, ref, "intake", day)
        data["letter"] = _letter(session, r, "refused_intake", rules, day, content)
    elif action == "extend":
        rule = schedule.steps["decision"]
        if rule.extension is None or r.extended:
            raise Conflict(
                "The decision deadline cannot be extended",
                "该期限不能延长，或已延长过一次",
                code="repairs.no_extension",
            )
        assert r.accepted_on is not None
        r.extended = True
        casework.open_deadline(session, ref, schedule, "decision", r.accepted_on, extra_days=rule.extension)
        data["extra_working_days"] = rule.extension
    elif action == "decide":
        if outcome not in ("granted", "refused"):
            raise InvalidInput(
                "outcome must be granted or refused",
                "请选择决定：准予修复或不予修复",
                code="repairs.outcome",
                field="outcome",
                value=outcome,
            )
        r.decided_on = day
        casework.close_deadline(session, ref, "decision", day)
        if outcome == "granted":
            r.status = "granted"
            r.decision_number = _letter(session, r, "granted", rules, day, content)
            # Carried out by the next daily tick, within the schedule's working days.
            casework.open_deadline(session, ref, schedule, "stop_publicity", day)
        else:
            r.status = "refused"
            r.decision_number = _letter(session, r, "refused", rules, day, content)
        data = {"outcome": outcome, "letter": r.decision_number}
    else:  # withdraw
        r.status, r.decided_on = "withdrawn", day
        casework.cancel_open_deadlines(session, ref)
        data["letter"] = _letter(session, r, "withdrawn", rules, day, content)
    PROCEDURE.record(session, r, action, from_status, day, actor.label, text=content, data=data)
    return _view(session, r, today, full=True, rules=rules)


# --- carrying out granted repairs (the daily tick) ----------------------------------------------


def apply_granted(session: Session, today: date) -> list[int]:
    """Carry out every granted repair not carried out yet: end the record's publicity or the
    listing, write the announcement, close the ``stop_publicity`` deadline. Idempotent."""
    rules = get_repair_rules()
    done: list[int] = []
    for r in list(session.scalars(select(Repair).where(Repair.status == "granted").order_by(Repair.id))):
        ref = PROCEDURE.ref(r)
        data: dict[str, Any] = {}
        if r.record_id is not None:
            outcome = records_amend.end_publicity(session, r.record_id, reason="repair", on=today)
            data = {"record_id": r.record_id, "record_version": outcome.version, "outcome": outcome.outcome}
        elif r.list_procedure_id is not None:
            data = {"list_procedure_id": r.list_procedure_id, **_exit_list(session, r, today)}
        r.status, r.applied_on = "repaired", today
        casework.close_deadline(session, ref, "stop_publicity", today)
        data["announcement"] = _letter(
            session,
            r,
            "announcement",
            rules,
            today,
            "",
            decision_number=r.decision_number or "",
            applied_on=_zh(today),
        )
        PROCEDURE.record(session, r, "apply", "granted", today, SYSTEM.label, data=data)
        done.append(r.id)
    return done


def _exit_list(session: Session, r: Repair, today: date) -> dict[str, Any]:
    assert r.list_procedure_id is not None
    proc = lists_service.get_procedure(session, r.list_procedure_id, actor=SYSTEM, today=today)
    if proc.status not in ("listed", "published"):
        return {"list_status": proc.status}
    lt = lists_service.get_list_type(proc.list_type)
    cond = lt.exit_condition("repaired")
    if cond is not None and cond.requires_rectification and proc.rectified_on is None:
        lists_service.record_rectification(
            session,
            r.list_procedure_id,
            actor=SYSTEM,
            text=f"信用修复决定（{r.decision_number}）认定已整改",
            on=today,
            today=today,
        )
    lists_service.exit_list(
        session,
        r.list_procedure_id,
        actor=SYSTEM,
        reason="repaired",
        text=f"准予信用修复，移出名单（{r.decision_number}）",
        document_number=r.decision_number,
        on=today,
        today=today,
    )
    return {"list_status": "exited"}


def tick(session: Session, today: date) -> tuple[int, int]:
    """The daily step: carry out granted repairs, then escalate overdue steps. (carried out,
    escalated)."""
    applied = apply_granted(session, today)
    escalated = PROCEDURE.escalate(session, _UNFINISHED, today, actor=SYSTEM.label)
    return len(applied), escalated


# --- reads ----------------------------------------------------------------------------------------


def get_repair(session: Session, repair_id: int, *, actor: Actor, today: date | None = None) -> RepairView:
    return _view(session, PROCEDURE.visible(session, actor, repair_id), today or today_china(), full=True)


def list_repairs(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    subject_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> RepairPage:
    today = today or today_china()
    conditions = PROCEDURE.conditions(actor, status=status, subject_id=subject_id, open_statuses=_UNFINISHED)
    total, rows = PROCEDURE.page(session, conditions, [Repair.id.desc()], page, per_page)
    rules = get_repair_rules()
    return RepairPage(
        total=total, page=page, per_page=per_page, items=[_view(session, r, today, rules=rules) for r in rows]
    )


def queue(
    session: Session, *, actor: Actor, today: date | None = None
) -> list[tuple[OverdueItem, RepairView]]:
    today = today or today_china()
    rules = get_repair_rules()
    items = PROCEDURE.overdue(session, actor, _UNFINISHED, today)
    return [(item, _view(session, r, today, rules=rules)) for item, r in items]


def repair_marks(session: Session, record_ids: Sequence[int]) -> dict[int, str]:
    """已修复 marks of records whose publicity a repair ended (for the public pages)."""
    if not record_ids:
        return {}
    rows = session.execute(
        select(Repair.record_id, Repair.applied_on).where(
            Repair.record_id.in_(list(record_ids)), Repair.status == "repaired"
        )
    )
    return {rid: f"已修复（{applied}）" for rid, applied in rows if rid is not None}


def track(session: Session, code: str, today: date | None = None) -> TrackView | None:
    """Progress by lookup code (no login): status, deadlines, letters, dated steps."""
    return PROCEDURE.track(
        session,
        code,
        kind_zh="信用修复",
        today=today or today_china(),
    )


def status_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    return PROCEDURE.status_counts(session, actor)
