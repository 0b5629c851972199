"""Declarations service: the subject's 自主申报 and its verification.

A declaration is a small state machine (every step dated, in the case history with its ledger
entry, casework kind ``declaration``)::

    filed ─verify→ verified      (a self_declaration record, 已核验: counts in evaluation, 经核实)
    filed ─reject→ rejected      (with the reason; no record)

The subject files in /me with attachments (type checked by content); the competent department
verifies within the schedule's working days (overdue steps are in the console queue and escalate)
and the applicant gets a numbered letter either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from xinyong.casework import procedure
from xinyong.casework import service as casework
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.declarations.models import Declaration
from xinyong.declarations.rules import get_declaration_rules
from xinyong.declarations.schemas import DeclarationPage, DeclarationView, KindView, OverdueView
from xinyong.ingest import service as ingest_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service

KIND = "declaration"
ITEM = "self_declaration"  # the catalog item a verified declaration becomes
VERIFIED_MARK = "经核实"
STATUS_ZH = {"filed": "待核实", "verified": "经核实", "rejected": "不予核实"}
OPEN = ("filed",)
ACTION_ZH = {"file": "提交申报", "verify": "核实", "reject": "不予核实", "escalate": "督办"}
Actor = casework.Actor
SYSTEM = Actor("system:cli", "system")
# Only the subject declares for itself (or the credit office, taking it at the window).
_DECLARANT = procedure.InPerson(
    code="declarations",
    others_code="subject_declares",
    own_only=("A subject declares only for itself", "信用主体只能为本主体申报"),
    others=("Only the subject itself declares", "自主申报由信用主体本人提交"),
    required=("Name the subject that declares", "请指明申报的信用主体"),
    merged_zh="该主体已被合并，请以合并后的主体申报",
    names_merged_into=False,
)


PROCEDURE = procedure.Procedure(
    kind=KIND,
    model=Declaration,
    department="department_code",
    code="declarations",
    status_zh=STATUS_ZH,
    action_zh=ACTION_ZH,
    rules=get_declaration_rules,
    opened_on="filed_on",
    not_found=lambda i: NotFound(
        f"Declaration {i} not found", f"未找到自主申报 {i}", code="declarations.not_found", id=i
    ),
)


def _view(
    session: Session, row: Declaration, *, full: bool = True, today: date | None = None
) -> DeclarationView:
    rules = get_declaration_rules()
    names = {k.code: k.name_zh for k in rules.kinds}
    return DeclarationView(
        id=row.id,
        declaration_type=row.declaration_type,
        declaration_type_zh=names.get(row.declaration_type, row.declaration_type),
        title=row.title,
        content=row.content,
        valid_until=row.valid_until,
        verified_mark=VERIFIED_MARK if row.status == "verified" else None,
        filed_by=row.filed_by,
        filed_on=row.filed_on,
        filed_at=procedure.aware(row.filed_at),
        decided_on=row.decided_on,
        reason=row.reason,
        record_id=row.record_id,
        **PROCEDURE.parties(session, row),
        **PROCEDURE.file_fields(
            session, row, PROCEDURE.schedule(row, rules), today or today_china(), full=full
        ),
    )


# --- reading -------------------------------------------------------------------------------------


def get_declaration(session: Session, declaration_id: int, *, actor: Actor = SYSTEM) -> DeclarationView:
    return _view(session, PROCEDURE.visible(session, actor, declaration_id))


def list_declarations(
    session: Session,
    *,
    actor: Actor = SYSTEM,
    status: str | None = None,
    subject_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> DeclarationPage:
    """The declarations the caller may see (a subject its own, a department those it verifies,
    the credit office and regulators all), newest first."""
    total, rows = PROCEDURE.refusing_page(
        session,
        actor,
        status=status,
        subject_id=subject_id,
        order_by=(Declaration.filed_on.desc(), Declaration.id.desc()),
        page=page,
        per_page=per_page,
        refused=("Not allowed to list declarations", "无权查看自主申报"),
    )
    return DeclarationPage(
        total=total, page=page, per_page=per_page, items=[_view(session, r, full=False) for r in rows]
    )


def kinds(day: date | None = None) -> list[KindView]:
    day = day or today_china()
    rules = get_declaration_rules()
    out: list[KindView] = []
    for code in rules.kind_codes():
        try:
            k = rules.kind_on(code, day)
        except InvalidInput:
            continue
        out.append(KindView(code=k.code, name_zh=k.name_zh, source=k.source))
    return out


def overdue_queue(session: Session, *, actor: Actor = SYSTEM, today: date | None = None) -> list[OverdueView]:
    """Verifications past their due date (a department sees those it owes)."""
    today = today or today_china()
    return [
        OverdueView(declaration_id=row.id, **PROCEDURE.overdue_columns(session, item, row))
        for item, row in PROCEDURE.overdue(session, actor, OPEN, today, subjects=False)
    ]


def escalate(session: Session, today: date | None = None) -> int:
    """督办 the verifications late by their ``escalate_after`` working days (daily)."""
    return PROCEDURE.escalate(session, OPEN, today or today_china())


# --- filing --------------------------------------------------------------------------------------


def file_declaration(
    session: Session,
    *,
    actor: Actor,
    declaration_type: str,
    title: str,
    department_code: str,
    content: str = "",
    valid_until: date | None = None,
    subject_id: int | None = None,
    attachments: Sequence[tuple[str, bytes | str]] = (),
    on: date | None = None,
    today: date | None = None,
) -> DeclarationView:
    """The subject declares (with at least one attachment as proof); the verification deadline
    opens. Not committed."""
    today = today or today_china()
    day = casework.check_step_date(session, None, on or today, today)
    subject = procedure.subject_in_person(session, actor, subject_id, _DECLARANT)
    rules = get_declaration_rules()
    kind = rules.kind_on(declaration_type, day)
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise InvalidInput(
            "A declaration names what is declared (1–200 characters)",
            "请填写申报名称（1至200字）",
            code="declarations.title_required",
            field="title",
            value=title[:50],
        )
    if valid_until is not None and valid_until < day:
        raise InvalidInput(
            "valid_until is before the declaration date",
            f"有效期至（{valid_until}）早于申报日期，已过期的信息不能申报",
            code="declarations.expired",
            field="valid_until",
            value=valid_until.isoformat(),
        )
    department = PROCEDURE.find_department(session, department_code, "核实部门")
    files = PROCEDURE.decode(attachments)
    if not files:
        raise InvalidInput(
            "Attach the proof of what is declared",
            "请上传证明材料（PDF、JPG 或 PNG）",
            code="declarations.proof_required",
            field="attachments",
        )
    for name, data in files:
        casework.check_attachment(name, data, rules.attachments)  # before anything is written
    schedule = rules.schedule(None, day)
    row = Declaration(
        subject_id=subject.id,
        declaration_type=kind.code,
        title=title,
        content=(content or "").strip(),
        valid_until=valid_until,
        department_code=department.code,
        status="filed",
        schedule=schedule.code,
        filed_by=actor.label,
        filed_on=day,
        filed_at=datetime.now(UTC),
    )
    PROCEDURE.open_case(
        session,
        row,
        files=files,
        rule=rules.attachments,
        schedule=schedule,
        step="verify",
        actor=actor,
        text=f"{kind.name_zh}：{title}\n{row.content}".strip(),
        data={
            "declaration_type": kind.code,
            "department_code": department.code,
            "files": [n for n, _ in files],
        },
    )
    session.flush()
    return _view(session, row, today=today)


# --- verification --------------------------------------------------------------------------------


def take_step(
    session: Session,
    declaration_id: int,
    *,
    actor: Actor,
    action: str,
    text: str = "",
    on: date | None = None,
    today: date | None = None,
) -> DeclarationView:
    """``verify``: the department confirms it (a self_declaration record, 已核验); ``reject``:
    it does not (a reason is required). Either way the applicant gets a letter. Not committed."""
    today = today or today_china()
    row = PROCEDURE.visible(session, actor, declaration_id)
    if action not in ("verify", "reject"):
        raise PROCEDURE.bad_action(action, ["verify", "reject"])
    if not (
        actor.role in ("system", "credit_office")
        or (actor.role == "provider" and actor.provider_code == row.department_code)
    ):
        raise Forbidden(
            "Only the competent department verifies a declaration",
            "自主申报由负责核实的主管部门核实",
            code="declarations.department_verifies",
        )
    if row.status != "filed":
        raise Conflict(
            f"Cannot {action} a declaration that is {row.status}",
            f"该申报当前状态为“{STATUS_ZH.get(row.status, row.status)}”，不能{ACTION_ZH[action]}",
            code="declarations.invalid_transition",
            status=row.status,
            action=action,
        )
    text = (text or "").strip()
    if action == "reject" and not text:
        raise InvalidInput(
            "A rejection needs its reason",
            "不予核实须写明理由",
            code="declarations.reason_required",
            field="text",
        )
    ref = PROCEDURE.ref(row)
    day = casework.check_step_date(session, ref, on or today, today)
    rules = get_declaration_rules()
    subject = subjects_service.get_subject(session, row.subject_id)
    department = ingest_service.get_provider(session, row.department_code)
    casework.close_deadline(session, ref, "verify", day)
    casework.cancel_open_deadlines(session, ref)
    to_status = "verified" if action == "verify" else "rejected"
    row.status = to_status
    row.decided_on = day
    row.reason = text
    data: dict[str, Any] = {}
    if action == "verify":
        outcome = _publish(session, row, subject, department)
        row.record_id = outcome.record_id
        data = {"record_id": outcome.record_id}
    letter_code = "verified" if action == "verify" else "rejected"
    letter = casework.issue_letter(
        session,
        ref,
        letter_code,
        rules.letter(letter_code),
        {
            "applicant": subject.name,
            "filed_on": row.filed_on.isoformat(),
            "title": row.title,
            "kind": rules.kind_on(row.declaration_type, row.filed_on).name_zh,
            "department": department.name,
            "reason": text,
        },
        day,
    )
    PROCEDURE.record(
        session,
        row,
        action,
        "filed",
        day,
        actor.label,
        text=text,
        data={**data, "letter_number": letter.number},
    )
    session.flush()
    return _view(session, row, today=today)


def _publish(
    session: Session,
    row: Declaration,
    subject: subjects_service.SubjectView,
    department: ingest_service.ProviderInfo,
) -> records_store.RecordOutcome:
    """The verified declaration as a self_declaration record (已核验)."""
    data: dict[str, Any] = {
        **procedure.subject_fields(subject),
        "declaration_type": row.declaration_type,
        "declaration_title": row.title,
        "declaration_content": row.content,
        "document_number": _document_number(row),
        "decision_date": row.decided_on,
        "verification_status": "verified",
        "verifying_unit": department.name,
    }
    if row.valid_until is not None:
        data["valid_until"] = row.valid_until
    if subject.uscc:
        data["uscc"] = subject.uscc
    return procedure.publish(
        session,
        ITEM,
        subject_id=subject.id,
        department_id=department.id,
        document_number=data["document_number"],
        data=data,
        received_on=row.decided_on or row.filed_on,
    )


def _document_number(row: Declaration) -> str:
    return f"ZZSB-{row.filed_on.year}-{row.id:06d}"


def settle(session: Session) -> None:
    """Commit the caller's step, then bring the credit state up to date (see ``procedure.settle``)."""
    procedure.settle(session, KIND)
