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

import base64
import binascii
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.casework import service as casework
from xinyong.casework.rules import Schedule
from xinyong.catalog.service import get_catalog
from xinyong.core import events
from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.declarations.models import Declaration
from xinyong.declarations.rules import DeclarationRules, get_declaration_rules
from xinyong.declarations.schemas import DeclarationPage, DeclarationView, KindView, OverdueView
from xinyong.ingest import service as ingest_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service

log = logging.getLogger(__name__)

KIND = "declaration"
ITEM = "self_declaration"  # the catalog item a verified declaration becomes
VERIFIED_MARK = "经核实"
STATUS_ZH = {"filed": "待核实", "verified": "经核实", "rejected": "不予核实"}
ACTION_ZH = {"file": "提交申报", "verify": "核实", "reject": "不予核实", "escalate": "督办"}
_CATEGORY = {
    "enterprise": "法人及非法人组织",
    "organisation": "法人及非法人组织",
    "individual_business": "个体工商户",
    "natural_person": "自然人",
}
VIEWERS = ("credit_office", "regulator", "admin", "system")


@dataclass(frozen=True)
class Actor:
    label: str
    role: str
    provider_code: str | None = None
    subject_id: int | None = None


SYSTEM = Actor("system:cli", "system")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _schedule(rules: DeclarationRules, row: Declaration) -> Schedule:
    return rules.schedule(row.schedule, row.filed_on)


def _not_found(declaration_id: int) -> NotFound:
    return NotFound(
        f"Declaration {declaration_id} not found",
        f"未找到自主申报 {declaration_id}",
        code="declarations.not_found",
        id=declaration_id,
    )


def _row(session: Session, declaration_id: int) -> Declaration:
    row = session.get(Declaration, declaration_id)
    if row is None:
        raise _not_found(declaration_id)
    return row


def _may_see(actor: Actor, row: Declaration) -> bool:
    if actor.role in VIEWERS:
        return True
    if actor.role == "provider":
        return actor.provider_code == row.department_code
    return actor.role == "subject" and actor.subject_id == row.subject_id


def _view(
    session: Session, row: Declaration, *, full: bool = True, today: date | None = None
) -> DeclarationView:
    rules = get_declaration_rules()
    subject = subjects_service.get_subject(session, row.subject_id)
    ref = casework.CaseRef(KIND, row.id, row.subject_id)
    names = {k.code: k.name_zh for k in rules.kinds}
    departments = {p.code: p.name for p in ingest_service.list_providers(session)}
    return DeclarationView(
        id=row.id,
        subject_id=row.subject_id,
        subject_name=subject.name,
        subject_code=subject.uscc or subject.id_number_masked,
        declaration_type=row.declaration_type,
        declaration_type_zh=names.get(row.declaration_type, row.declaration_type),
        title=row.title,
        content=row.content,
        valid_until=row.valid_until,
        department_code=row.department_code,
        department_name=departments.get(row.department_code, row.department_code),
        status=row.status,
        status_zh=STATUS_ZH.get(row.status, row.status),
        verified_mark=VERIFIED_MARK if row.status == "verified" else None,
        lookup_code=casework.lookup_code_of(session, ref),
        filed_by=row.filed_by,
        filed_on=row.filed_on,
        filed_at=_aware(row.filed_at),
        decided_on=row.decided_on,
        reason=row.reason,
        record_id=row.record_id,
        deadlines=casework.deadlines(session, ref, _schedule(rules, row), today or today_china()),
        steps=casework.steps(session, ref, ACTION_ZH) if full else [],
        attachments=casework.attachments(session, ref) if full else [],
        letters=casework.letters(session, ref) if full else [],
    )


# --- reading -------------------------------------------------------------------------------------


def get_declaration(session: Session, declaration_id: int, *, actor: Actor = SYSTEM) -> DeclarationView:
    row = _row(session, declaration_id)
    if not _may_see(actor, row):
        raise _not_found(declaration_id)  # the same answer as a missing one
    return _view(session, row)


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
    if status is not None and status not in STATUS_ZH:
        raise InvalidInput(
            f"Unknown status {status!r}",
            f"状态“{status}”不存在",
            code="declarations.bad_status",
            field="status",
            value=status,
            allowed=sorted(STATUS_ZH),
        )
    conditions: list[Any] = []
    if actor.role == "subject":
        conditions.append(Declaration.subject_id == (actor.subject_id or 0))
    elif actor.role == "provider":
        conditions.append(Declaration.department_code == (actor.provider_code or ""))
    elif actor.role not in VIEWERS:
        raise Forbidden(
            "Not allowed to list declarations", "无权查看自主申报", code="declarations.not_allowed"
        )
    if status:
        conditions.append(Declaration.status == status)
    if subject_id is not None:
        conditions.append(Declaration.subject_id == subject_id)
    total = session.scalar(select(func.count(Declaration.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Declaration)
        .where(*conditions)
        .order_by(Declaration.filed_on.desc(), Declaration.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
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
    rules = get_declaration_rules()
    rows = {r.id: r for r in session.scalars(select(Declaration).where(Declaration.status == "filed"))}
    if actor.role == "provider":
        rows = {k: r for k, r in rows.items() if r.department_code == actor.provider_code}
    elif actor.role not in VIEWERS:
        return []
    out: list[OverdueView] = []
    for item in casework.overdue(session, KIND, today, {k: _schedule(rules, r) for k, r in rows.items()}):
        row = rows.get(item.case_id)
        if row is None:
            continue
        out.append(
            OverdueView(
                declaration_id=row.id,
                subject_name=subjects_service.get_subject(session, row.subject_id).name,
                department_code=row.department_code,
                step=item.step,
                step_zh=item.step_zh,
                due_date=item.due_date,
                working_days_late=item.working_days_late,
                escalated=item.escalated,
            )
        )
    return out


def escalate(session: Session, today: date | None = None) -> int:
    """督办 the verifications late by their ``escalate_after`` working days (daily)."""
    today = today or today_china()
    rules = get_declaration_rules()
    rows = list(session.scalars(select(Declaration).where(Declaration.status == "filed")))
    done = casework.escalate_overdue(
        session,
        KIND,
        today,
        {r.id: _schedule(rules, r) for r in rows},
        {r.id: r.subject_id for r in rows},
        {r.id: r.status for r in rows},
    )
    return len(done)


# --- filing --------------------------------------------------------------------------------------


def _decode(attachments: Sequence[tuple[str, bytes | str]]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for name, content in attachments:
        if isinstance(content, str):
            try:
                content = base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput(
                    f"Attachment {name!r} is not valid Base64",
                    f"附件“{name}”的内容不是有效的 Base64 编码",
                    code="declarations.attachment_encoding",
                    field="attachments",
                    value=name,
                ) from None
        out.append((name, content))
    return out


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
    if actor.role == "subject":
        if actor.subject_id is None or (subject_id is not None and subject_id != actor.subject_id):
            raise Forbidden(
                "A subject declares only for itself",
                "信用主体只能为本主体申报",
                code="declarations.own_subject_only",
            )
        subject_id = actor.subject_id
    elif actor.role not in ("system", "credit_office"):
        raise Forbidden(
            "Only the subject itself declares",
            "自主申报由信用主体本人提交",
            code="declarations.subject_declares",
            role=actor.role,
        )
    if subject_id is None:
        raise InvalidInput(
            "Name the subject that declares",
            "请指明申报的信用主体",
            code="declarations.subject_required",
            field="subject_code",
        )
    subject = subjects_service.get_subject(session, subject_id)
    if subject.merged_into_id is not None:
        raise Conflict(
            "The subject was merged into another one",
            "该主体已被合并，请以合并后的主体申报",
            code="declarations.subject_merged",
            subject_id=subject_id,
        )
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
    try:
        department = ingest_service.get_provider(session, department_code)
    except NotFound:
        raise InvalidInput(
            f"Unknown department {department_code!r}",
            f"核实部门“{department_code}”不存在",
            code="declarations.unknown_department",
            field="department_code",
            value=department_code,
        ) from None
    files = _decode(attachments)
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
    session.add(row)
    session.flush()
    ref = casework.CaseRef(KIND, row.id, subject.id)
    for name, data in files:
        casework.add_attachment(session, ref, name, data, rules.attachments, actor.label)
    casework.record_step(
        session,
        ref,
        action="file",
        from_status=None,
        to_status="filed",
        on=day,
        actor=actor.label,
        text=f"{kind.name_zh}：{title}\n{row.content}".strip(),
        data={
            "declaration_type": kind.code,
            "department_code": department.code,
            "files": [n for n, _ in files],
        },
    )
    casework.open_deadline(session, ref, schedule, "verify", day)
    casework.issue_lookup_code(session, ref)
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
    row = _row(session, declaration_id)
    if not _may_see(actor, row):
        raise _not_found(declaration_id)
    if action not in ("verify", "reject"):
        raise InvalidInput(
            f"Unknown action {action!r}",
            f"办理环节“{action}”不存在",
            code="declarations.bad_action",
            field="action",
            value=action,
            allowed=["verify", "reject"],
        )
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
    ref = casework.CaseRef(KIND, row.id, row.subject_id)
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
    casework.record_step(
        session,
        ref,
        action=action,
        from_status="filed",
        to_status=to_status,
        on=day,
        actor=actor.label,
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
        "subject_name": subject.name,
        "subject_category": _CATEGORY.get(subject.kind, "法人及非法人组织"),
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
    return records_store.store(
        session,
        item=get_catalog().item(ITEM),
        subject_id=subject.id,
        provider_id=department.id,
        document_number=data["document_number"],
        data=data,
        submission_id=None,
        received_on=row.decided_on or row.filed_on,
    )


def _document_number(row: Declaration) -> str:
    return f"ZZSB-{row.filed_on.year}-{row.id:06d}"


def settle(session: Session) -> None:
    """Commit the caller's step, then bring the credit state up to date (the record consumers).
    A consumer failure only delays the state (it catches up on its next run) and is logged."""
    session.commit()
    try:
        events.catch_up(session)
    except Exception:
        session.rollback()
        log.exception("the record consumers failed after a declaration step")
