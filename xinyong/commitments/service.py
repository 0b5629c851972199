"""Commitments service: signing, fulfilment tracking and verification of 信用承诺.

A commitment is a small state machine (every step dated, in the case history with its ledger
entry, casework kind ``commitment``)::

    signed ─supply (容缺受理型: the missing materials)→ supplied ─verify→ fulfilled | breached
    signed ─verify→ fulfilled | breached

Signing: the subject (its logged-in identity) signs the 承诺书 of the chosen type, whose text is
the ruleset's template (a numbered letter kept in the file); the time is recorded and the
commitment is published at once as a ``credit_commitment`` record (履约中) through the records
path. Verification by the accepting department corrects that record to 已履约 / 未履约: a breach
is a credit record about the subject like any other (the credit state, evaluation and lists
read it). Deadlines are working days (``core.calendar``); overdue staff steps are in the console
queue and escalate. Commitments sent by departments through ingest (the same catalog item)
appear in :func:`subject_commitments` next to the signed ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.casework import procedure
from xinyong.casework import service as casework
from xinyong.casework.rules import Schedule
from xinyong.catalog.ruleset import add_months
from xinyong.catalog.service import get_catalog
from xinyong.commitments.models import Commitment
from xinyong.commitments.rules import CommitmentRules, get_commitment_rules
from xinyong.commitments.schemas import (
    CommitmentPage,
    CommitmentView,
    DepartmentCommitment,
    OverdueView,
    SubjectCommitments,
    TemplateView,
)
from xinyong.core.calendar import load_calendar
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound, UnknownCalendarYear
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service

KIND = "commitment"
ITEM = "credit_commitment"  # the catalog item a commitment is published as
STATUS_ZH = {
    "signed": "履约中",
    "supplied": "已补齐材料，待核查",
    "fulfilled": "已履约",
    "breached": "未履约",
}
ACTION_ZH = {
    "sign": "签署承诺",
    "supply": "补齐容缺材料",
    "verify": "核查履约情况",
    "escalate": "督办",
}
OUTCOME_ZH = {"fulfilled": "已履约", "breached": "未履约"}
OPEN = ("signed", "supplied")
Actor = casework.Actor
SYSTEM = Actor("system:cli", "system")


PROCEDURE = procedure.Procedure(
    kind=KIND,
    model=Commitment,
    department="department_code",
    code="commitments",
    status_zh=STATUS_ZH,
    action_zh=ACTION_ZH,
    rules=get_commitment_rules,
    opened_on="signed_on",
    not_found=lambda i: NotFound(
        f"Commitment {i} not found", f"未找到信用承诺 {i}", code="commitments.not_found", id=i
    ),
)


# --- reading -------------------------------------------------------------------------------------


def _view(
    session: Session, row: Commitment, *, full: bool = True, today: date | None = None
) -> CommitmentView:
    rules = get_commitment_rules()
    names = {t.code: t.name_zh for t in rules.types}
    return CommitmentView(
        id=row.id,
        commitment_type=row.commitment_type,
        commitment_type_zh=names.get(row.commitment_type, row.commitment_type),
        matter=row.matter,
        signed_by=row.signed_by,
        signed_on=row.signed_on,
        signed_at=procedure.aware(row.signed_at),
        valid_until=row.valid_until,
        letter_number=row.letter_number,
        text=row.text,
        record_id=row.record_id,
        decided_on=row.decided_on,
        reason=row.reason,
        **PROCEDURE.parties(session, row),
        # A commitment's one letter is its 承诺书, shown as its text.
        **PROCEDURE.file_fields(
            session, row, PROCEDURE.schedule(row, rules), today or today_china(), full=full, letters=False
        ),
    )


def get_commitment(session: Session, commitment_id: int, *, actor: Actor = SYSTEM) -> CommitmentView:
    return _view(session, PROCEDURE.visible(session, actor, commitment_id))


def list_commitments(
    session: Session,
    *,
    actor: Actor = SYSTEM,
    status: str | None = None,
    subject_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> CommitmentPage:
    """The commitments the caller may see (a subject its own, a department those made to it,
    the credit office and regulators all), newest first."""
    total, rows = PROCEDURE.refusing_page(
        session,
        actor,
        status=status,
        subject_id=subject_id,
        order_by=(Commitment.signed_on.desc(), Commitment.id.desc()),
        page=page,
        per_page=per_page,
        refused=("Not allowed to list commitments", "无权查看信用承诺"),
    )
    return CommitmentPage(
        total=total, page=page, per_page=per_page, items=[_view(session, r, full=False) for r in rows]
    )


def subject_commitments(session: Session, subject_id: int) -> SubjectCommitments:
    """One view of the subject's commitments: those it signed here and those departments sent
    through ingest (every ``credit_commitment`` record of its file, the subject's view)."""
    signed_rows = session.scalars(
        select(Commitment)
        .where(Commitment.subject_id == subject_id)
        .order_by(Commitment.signed_on.desc(), Commitment.id.desc())
    ).all()
    own_records = {r.record_id for r in signed_rows if r.record_id is not None}
    item = get_catalog().item(ITEM)
    labels = {f.code: {o.code: o.label for o in f.enum} for f in item.fields if f.enum}
    sent: list[DepartmentCommitment] = []
    page = records_service.list_subject_records(
        session, subject_id, visibility="subject", item_codes=[ITEM], per_page=200
    )
    for r in page.items:
        f = r.fields
        sent.append(
            DepartmentCommitment(
                record_id=r.id,
                document_number=r.document_number,
                commitment_type_zh=labels.get("commitment_type", {}).get(
                    str(f.get("commitment_type")), str(f.get("commitment_type") or "")
                ),
                matter=str(f.get("commitment_matter") or ""),
                accepting_unit=str(f.get("accepting_unit") or ""),
                decision_date=r.decision_date,
                valid_until=_date(f.get("valid_until")),
                fulfilment_zh=labels.get("fulfilment_status", {}).get(
                    str(f.get("fulfilment_status")), str(f.get("fulfilment_status") or "")
                ),
                signed_here=r.id in own_records,
            )
        )
    return SubjectCommitments(signed=[_view(session, r, full=False) for r in signed_rows], sent=sent)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def templates(day: date | None = None) -> list[TemplateView]:
    """The types a subject may sign on ``day``, with the text of their 承诺书."""
    day = day or today_china()
    rules = get_commitment_rules()
    schedule = rules.schedule(None, day)
    out: list[TemplateView] = []
    for code in rules.type_codes():
        try:
            t = rules.type_on(code, day)
        except InvalidInput:
            continue
        letter = rules.letter(t.letter)
        supply = schedule.steps.get("supply") if "supply" in t.opens else None
        out.append(
            TemplateView(
                code=t.code,
                name_zh=t.name_zh,
                title_zh=letter.title_zh,
                template_zh=letter.template_zh,
                term_months=t.term_months,
                supply_within_working_days=supply.within if supply else None,
                source=t.source,
            )
        )
    return out


def overdue_queue(session: Session, *, actor: Actor = SYSTEM, today: date | None = None) -> list[OverdueView]:
    """Verification steps past their due date (a department sees those owed to it)."""
    today = today or today_china()
    return [
        OverdueView(commitment_id=row.id, **PROCEDURE.overdue_columns(session, item, row))
        for item, row in PROCEDURE.overdue(session, actor, OPEN, today, subjects=False)
    ]


def escalate(session: Session, today: date | None = None) -> int:
    """督办 the verification steps late by their ``escalate_after`` working days (daily)."""
    return PROCEDURE.escalate(session, OPEN, today or today_china())


# --- signing -------------------------------------------------------------------------------------


# Only the subject signs its commitment (or the credit office, taking it at the window).
_SIGNER = procedure.InPerson(
    code="commitments",
    others_code="subject_signs",
    own_only=("A subject signs only its own commitments", "信用主体只能以本主体名义签署信用承诺"),
    others=("Only the subject itself signs a commitment", "信用承诺由信用主体本人签署"),
    required=("Name the subject that signs", "请指明签署承诺的信用主体"),
    merged_zh="该主体已被合并，请以合并后的主体签署",
)


def sign(
    session: Session,
    *,
    actor: Actor,
    commitment_type: str,
    matter: str,
    department_code: str,
    subject_id: int | None = None,
    on: date | None = None,
    today: date | None = None,
) -> CommitmentView:
    """The subject signs a commitment: the 承诺书 from the type's template (numbered, kept in the
    file), the signer and the time, a ledger entry, the published record (履约中) and the
    deadlines the type opens. Not committed."""
    today = today or today_china()
    day = casework.check_step_date(session, None, on or today, today)
    subject = procedure.subject_in_person(session, actor, subject_id, _SIGNER)
    rules = get_commitment_rules()
    if commitment_type not in rules.type_codes():
        raise InvalidInput(
            f"Unknown commitment type {commitment_type!r}",
            f"信用承诺类型“{commitment_type}”不存在",
            code="commitments.bad_type",
            field="commitment_type",
            value=commitment_type,
            allowed=rules.type_codes(),
        )
    ctype = rules.type_on(commitment_type, day)
    matter = " ".join((matter or "").split())
    if not matter or len(matter) > 200:
        raise InvalidInput(
            "The commitment names its matter (1–200 characters)",
            "请填写承诺事项（1至200字）",
            code="commitments.matter_required",
            field="matter",
            value=matter[:50],
        )
    department = PROCEDURE.find_department(session, department_code, "受理部门")
    schedule = rules.schedule(None, day)
    valid_until = add_months(day, ctype.term_months) - timedelta(days=1)
    due: date | None = None
    if "supply" in ctype.opens:
        try:
            due = load_calendar(session).deadline(day, schedule.steps["supply"].within)
        except UnknownCalendarYear:
            due = None
    now = datetime.now(UTC)
    row = Commitment(
        subject_id=subject.id,
        commitment_type=ctype.code,
        matter=matter,
        department_code=department.code,
        status="signed",
        schedule=schedule.code,
        signed_by=actor.label,
        signed_on=day,
        signed_at=now,
        valid_until=valid_until,
        text="",
    )
    session.add(row)
    session.flush()
    ref = PROCEDURE.ref(row)
    letter = casework.issue_letter(
        session,
        ref,
        ctype.letter,
        rules.letter(ctype.letter),
        {
            "subject": subject.name,
            "code": subject.uscc or subject.id_number_masked or "",
            "matter": matter,
            "department": department.name,
            "valid_until": valid_until.isoformat(),
            "due_date": due.isoformat() if due else "（待定）",
            "signed_on": day.isoformat(),
        },
        day,
    )
    row.letter_number = letter.number
    row.text = letter.text
    outcome = _publish(session, row, subject, department, "in_progress")
    row.record_id = outcome.record_id
    PROCEDURE.record(
        session,
        row,
        "sign",
        None,
        day,
        actor.label,
        text=letter.text,
        data={
            "commitment_type": ctype.code,
            "letter_number": letter.number,
            "signed_at": now.isoformat(),
            "record_id": outcome.record_id,
        },
    )
    for step in ctype.opens:
        casework.open_deadline(session, ref, schedule, step, day)
    casework.issue_lookup_code(session, ref)
    session.flush()
    return _view(session, row, today=today)


def _publish(
    session: Session,
    row: Commitment,
    subject: subjects_service.SubjectView,
    department: ingest_service.ProviderInfo,
    fulfilment: str,
) -> records_store.RecordOutcome:
    """The commitment as a credit_commitment record (a new version when its status changes)."""
    data: dict[str, Any] = {
        **procedure.subject_fields(subject),
        "commitment_type": row.commitment_type,
        "commitment_matter": row.matter,
        "commitment_content": row.text,
        "document_number": row.letter_number,
        "decision_date": row.signed_on,
        "valid_until": row.valid_until,
        "accepting_unit": department.name,
        "fulfilment_status": fulfilment,
    }
    if subject.uscc:
        data["uscc"] = subject.uscc
    if department.uscc:
        data["accepting_unit_code"] = department.uscc
    if row.reason:
        data["remarks"] = row.reason
    return procedure.publish(
        session,
        ITEM,
        subject_id=subject.id,
        department_id=department.id,
        document_number=row.letter_number or "",
        data=data,
        received_on=row.decided_on or row.signed_on,
    )


# --- steps ---------------------------------------------------------------------------------------


def take_step(
    session: Session,
    commitment_id: int,
    *,
    actor: Actor,
    action: str,
    outcome: str | None = None,
    text: str = "",
    on: date | None = None,
    today: date | None = None,
    attachments: Sequence[tuple[str, bytes | str]] = (),
) -> CommitmentView:
    """``supply``: the subject hands in the missing materials (容缺受理型; attachments required).
    ``verify``: the accepting department records the outcome (``fulfilled`` / ``breached``; a
    breach needs its reason) and the published record is corrected. Not committed."""
    today = today or today_china()
    row = PROCEDURE.visible(session, actor, commitment_id)
    ref = PROCEDURE.ref(row)
    day = casework.check_step_date(session, ref, on or today, today)
    rules = get_commitment_rules()
    schedule = PROCEDURE.schedule(row, rules)
    text = (text or "").strip()
    if action == "supply":
        _supply(session, row, ref, schedule, rules, actor, day, text, PROCEDURE.decode(attachments))
    elif action == "verify":
        _verify(session, row, ref, actor, day, outcome, text)
    else:
        raise PROCEDURE.bad_action(action, ["supply", "verify"])
    session.flush()
    return _view(session, row, today=today)


def _transition_error(row: Commitment, action: str) -> Conflict:
    return Conflict(
        f"Cannot {action} a commitment that is {row.status}",
        f"该承诺当前状态为“{STATUS_ZH.get(row.status, row.status)}”，不能{ACTION_ZH.get(action, action)}",
        code="commitments.invalid_transition",
        status=row.status,
        action=action,
    )


def _supply(
    session: Session,
    row: Commitment,
    ref: casework.CaseRef,
    schedule: Schedule,
    rules: CommitmentRules,
    actor: Actor,
    day: date,
    text: str,
    files: list[tuple[str, bytes]],
) -> None:
    if not (actor.role == "system" or (actor.role == "subject" and actor.subject_id == row.subject_id)):
        raise Forbidden(
            "Only the subject supplies its materials",
            "补齐材料由作出承诺的信用主体本人提交",
            code="commitments.subject_supplies",
        )
    ctype = rules.type_on(row.commitment_type, row.signed_on)
    if row.status != "signed" or "supply" not in ctype.opens:
        raise _transition_error(row, "supply")
    if not files:
        raise InvalidInput(
            "Attach the missing materials",
            "请上传补齐的材料（PDF、JPG 或 PNG）",
            code="commitments.materials_required",
            field="attachments",
        )
    for name, content in files:
        casework.add_attachment(session, ref, name, content, rules.attachments, actor.label)
    casework.close_deadline(session, ref, "supply", day)
    casework.open_deadline(session, ref, schedule, "verify_supplied", day)
    row.status = "supplied"
    PROCEDURE.record(
        session, row, "supply", "signed", day, actor.label, text=text, data={"files": [n for n, _ in files]}
    )


def _verify(
    session: Session,
    row: Commitment,
    ref: casework.CaseRef,
    actor: Actor,
    day: date,
    outcome: str | None,
    text: str,
) -> None:
    allowed = actor.role in ("system", "credit_office") or (
        actor.role == "provider" and actor.provider_code == row.department_code
    )
    if not allowed:
        raise Forbidden(
            "Only the accepting department verifies the commitment",
            "承诺履行情况由受理承诺的部门核查认定",
            code="commitments.department_verifies",
        )
    if row.status not in OPEN:
        raise _transition_error(row, "verify")
    if outcome not in OUTCOME_ZH:
        raise InvalidInput(
            "The verification names its outcome: fulfilled or breached",
            "请选择核查结果：已履约或未履约",
            code="commitments.outcome_required",
            field="outcome",
            value=outcome,
            allowed=sorted(OUTCOME_ZH),
        )
    if outcome == "breached" and not text:
        raise InvalidInput(
            "A breach needs its reason",
            "认定未履约须写明理由",
            code="commitments.reason_required",
            field="text",
        )
    from_status = row.status
    for step in ("verify", "verify_supplied"):
        casework.close_deadline(session, ref, step, day)
    casework.cancel_open_deadlines(session, ref)  # e.g. the supply period of a breach found early
    row.status = outcome
    row.decided_on = day
    row.reason = text
    subject = subjects_service.get_subject(session, row.subject_id)
    department = ingest_service.get_provider(session, row.department_code)
    published = _publish(session, row, subject, department, outcome)
    PROCEDURE.record(
        session,
        row,
        "verify",
        from_status,
        day,
        actor.label,
        text=text,
        data={"outcome": outcome, "record_id": published.record_id, "record_version": published.version},
    )


def settle(session: Session) -> None:
    """Commit the caller's step, then bring the credit state up to date (see ``procedure.settle``)."""
    procedure.settle(session, KIND)
