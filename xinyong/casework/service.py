"""Casework's functions (see the package docstring for the whole API)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from xinyong.casework.models import CaseAttachment, CaseDeadline, CaseLetter, CaseLookup, CaseStep
from xinyong.casework.rules import AttachmentRule, LetterTemplate, Schedule
from xinyong.casework.schemas import (
    AttachmentView,
    DeadlineView,
    LetterView,
    OverdueItem,
    StepView,
    TrackView,
)
from xinyong.core import procedures
from xinyong.core.calendar import PROVISIONAL, WorkCalendar, load_calendar
from xinyong.core.errors import Conflict, InvalidInput, NotFound, TooLarge, UnknownCalendarYear
from xinyong.core.events import emit
from xinyong.core.procedures import Actor as Actor  # re-exported: casework.service.Actor
from xinyong.ledger import service as ledger


@dataclass(frozen=True)
class CaseRef:
    """One case: its procedure kind, its id in that procedure's table and its subject."""

    kind: str
    case_id: int
    subject_id: int | None = None

    @property
    def ledger_ref(self) -> str:
        return f"{self.kind}:{self.case_id}"

    def owns(self, table: Any) -> ColumnElement[bool]:
        """The condition naming this case's rows of a casework table (each has kind, case_id)."""
        return and_(table.kind == self.kind, table.case_id == self.case_id)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 of a text (UTF-8): what the ledger keeps of a signed commitment or a letter."""
    return _sha(text.encode("utf-8"))


# --- steps -------------------------------------------------------------------------------------


def record_step(
    session: Session,
    ref: CaseRef,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    on: date,
    actor: str,
    text: str = "",
    data: Mapping[str, Any] | None = None,
) -> CaseStep:
    """Append a step to the case's history, with its outbox event ``<kind>.<action>`` and its
    ledger entry (hashes of the texts, never the texts: the ledger can be shown to anyone)."""
    seq = (session.scalar(select(func.max(CaseStep.seq)).where(ref.owns(CaseStep))) or 0) + 1
    body = dict(data or {})
    step = CaseStep(
        kind=ref.kind,
        case_id=ref.case_id,
        seq=seq,
        action=action,
        from_status=from_status,
        to_status=to_status,
        on_date=on,
        actor=actor,
        text=text,
        data=body,
    )
    session.add(step)
    session.flush()
    payload: dict[str, Any] = {
        "kind": ref.kind,
        "case_id": ref.case_id,
        "subject_id": ref.subject_id,
        "action": action,
        "from_status": from_status,
        "status": to_status,
        "on": on.isoformat(),
    }
    emit(session, f"{ref.kind}.{action}", subject_id=ref.subject_id, payload=payload)
    ledger.append(
        session,
        f"{ref.kind}.{action}",
        f"{ref.ledger_ref}/s{seq}",
        {
            **payload,
            "seq": seq,
            "actor": actor,
            "text_sha256": _sha(text.encode("utf-8")),
            "data_sha256": _sha(ledger.canonical_json(body).encode("utf-8")),
        },
    )
    return step


def last_step_date(session: Session, ref: CaseRef) -> date | None:
    return session.scalar(select(func.max(CaseStep.on_date)).where(ref.owns(CaseStep)))


def check_step_date(session: Session, ref: CaseRef | None, on: date, today: date) -> date:
    """``on`` if it is neither in the future nor before the case's previous step."""
    last = last_step_date(session, ref) if ref is not None else None
    return procedures.check_step_date(on, today, last, code="casework")


def steps(session: Session, ref: CaseRef, action_zh: Mapping[str, str]) -> list[StepView]:
    rows = session.scalars(select(CaseStep).where(ref.owns(CaseStep)).order_by(CaseStep.seq))
    return [StepView(**procedures.step_fields(s, action_zh)) for s in rows]


# --- deadlines ---------------------------------------------------------------------------------


def _due(cal: WorkCalendar, start: date, n: int) -> date | None:
    try:
        return cal.deadline(start, n)
    except UnknownCalendarYear:
        return None  # the year is not declared yet: shown as 待定, filled in once it is


def open_deadline(
    session: Session,
    ref: CaseRef,
    schedule: Schedule,
    step: str,
    start: date,
    *,
    extra_days: int = 0,
    calendar: WorkCalendar | None = None,
) -> CaseDeadline:
    """Start the clock of ``step``: due ``within`` (+ ``extra_days``) working days after
    ``start`` by the schedule. Re-opening a step moves its deadline (e.g. an extension)."""
    rule = schedule.steps[step]
    cal = calendar or load_calendar(session)
    n = rule.within + extra_days
    due = _due(cal, start, n)
    row = session.scalar(select(CaseDeadline).where(ref.owns(CaseDeadline), CaseDeadline.step == step))
    if row is None:
        row = CaseDeadline(kind=ref.kind, case_id=ref.case_id, step=step)
        session.add(row)
    row.started_on = start
    row.working_days = n
    row.due_date = due
    row.done_on = None
    row.cancelled = False
    row.calendar_basis = PROVISIONAL if due is not None and cal.basis(start, due) == PROVISIONAL else None
    session.flush()
    return row


def close_deadline(session: Session, ref: CaseRef, step: str, on: date) -> bool:
    """Mark ``step`` done on ``on``; False when it had no open deadline."""
    row = session.scalar(
        select(CaseDeadline).where(
            ref.owns(CaseDeadline),
            CaseDeadline.step == step,
            CaseDeadline.done_on.is_(None),
            CaseDeadline.cancelled.is_(False),
        )
    )
    if row is None:
        return False
    row.done_on = on
    return True


def cancel_open_deadlines(session: Session, ref: CaseRef) -> int:
    """The case ended before these steps were due (e.g. withdrawn): they are no longer owed."""
    rows = list(
        session.scalars(
            select(CaseDeadline).where(
                ref.owns(CaseDeadline),
                CaseDeadline.done_on.is_(None),
                CaseDeadline.cancelled.is_(False),
            )
        )
    )
    for row in rows:
        row.cancelled = True
    return len(rows)


def _late(row: CaseDeadline, today: date) -> bool:
    return row.due_date is not None and row.done_on is None and not row.cancelled and today > row.due_date


def deadlines(session: Session, ref: CaseRef, schedule: Schedule | None, today: date) -> list[DeadlineView]:
    """The case's ``deadlines``: ``{step, due_date, done_on}`` in the order they were opened."""
    rows = session.scalars(select(CaseDeadline).where(ref.owns(CaseDeadline)).order_by(CaseDeadline.id))
    steps_ = schedule.steps if schedule is not None else {}
    return [
        DeadlineView(
            step=r.step,
            step_zh=steps_[r.step].name_zh if r.step in steps_ else r.step,
            due_date=r.due_date,
            done_on=r.done_on,
            cancelled=r.cancelled,
            overdue=_late(r, today),
            escalated_on=r.escalated_on,
        )
        for r in rows
    ]


def track_view(
    session: Session,
    ref: CaseRef,
    *,
    kind_zh: str,
    status: str,
    status_zh: str,
    received_on: date,
    schedule: Schedule | None,
    action_zh: Mapping[str, str],
    today: date,
) -> TrackView:
    """What a lookup code (查询码) shows of a case without login, for every procedure: its status,
    deadlines, letters and dated steps (never the statement or the attachments)."""
    return TrackView(
        kind=ref.kind,
        kind_zh=kind_zh,
        status=status,
        status_zh=status_zh,
        received_on=received_on,
        deadlines=deadlines(session, ref, schedule, today),
        letters=letters(session, ref),
        steps=[(s.on, s.action_zh) for s in steps(session, ref, action_zh)],
    )


def overdue(
    session: Session,
    kind: str,
    today: date,
    schedules: Mapping[int, Schedule],
    *,
    calendar: WorkCalendar | None = None,
) -> list[OverdueItem]:
    """Open deadlines of ``kind`` past their due date, owed by staff or a provider (the console
    queue). ``schedules``: each case's schedule (by case id), for the names and escalation."""
    cal = calendar or load_calendar(session)
    rows = session.scalars(
        select(CaseDeadline)
        .where(
            CaseDeadline.kind == kind,
            CaseDeadline.done_on.is_(None),
            CaseDeadline.cancelled.is_(False),
            CaseDeadline.due_date < today,
        )
        .order_by(CaseDeadline.due_date, CaseDeadline.case_id)
    )
    items: list[OverdueItem] = []
    for r in rows:
        schedule = schedules.get(r.case_id)
        rule = schedule.steps.get(r.step) if schedule is not None else None
        if rule is not None and rule.party == "applicant":
            continue
        assert r.due_date is not None
        try:
            late = cal.working_days_between(r.due_date, today)
        except UnknownCalendarYear:
            late = (today - r.due_date).days
        items.append(
            OverdueItem(
                kind=kind,
                case_id=r.case_id,
                step=r.step,
                step_zh=rule.name_zh if rule else r.step,
                due_date=r.due_date,
                working_days_late=late,
                escalated=r.escalated_on is not None,
            )
        )
    return items


def escalate_overdue(
    session: Session,
    kind: str,
    today: date,
    schedules: Mapping[int, Schedule],
    subjects: Mapping[int, int],
    status_of: Mapping[int, str],
    *,
    actor: str = "system:casework",
) -> list[OverdueItem]:
    """Escalate (督办) every overdue step late by at least its ``escalate_after`` working days
    and not escalated yet: the deadline is marked and the case gets an ``escalate`` step (with
    its ledger entry). Idempotent. ``subjects`` and ``status_of``: each case's subject and status."""
    done: list[OverdueItem] = []
    for item in overdue(session, kind, today, schedules):
        schedule = schedules.get(item.case_id)
        rule = schedule.steps.get(item.step) if schedule is not None else None
        if item.escalated or rule is None or rule.escalate_after is None:
            continue
        if item.working_days_late < rule.escalate_after:
            continue
        row = session.scalar(
            select(CaseDeadline).where(
                CaseDeadline.kind == kind,
                CaseDeadline.case_id == item.case_id,
                CaseDeadline.step == item.step,
            )
        )
        assert row is not None
        row.escalated_on = today
        status = status_of.get(item.case_id, "")
        record_step(
            session,
            CaseRef(kind, item.case_id, subjects.get(item.case_id)),
            action="escalate",
            from_status=status,
            to_status=status,
            on=today,
            actor=actor,
            text=f"“{item.step_zh}”已逾期{item.working_days_late}个工作日（应于{item.due_date}前办结），提请督办",
            data={"step": item.step, "due_date": item.due_date.isoformat(), "late": item.working_days_late},
        )
        done.append(item.model_copy(update={"escalated": True}))
    return done


# --- lookup codes ------------------------------------------------------------------------------

# No 0/O, 1/I/L: a code read over the phone or copied by hand is not misread.
LOOKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_LOOKUP_LEN = 12


def format_lookup_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_lookup_code(text: str) -> str:
    """The code as stored: upper case, without spaces and dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -\u3000")


def issue_lookup_code(session: Session, ref: CaseRef) -> str:
    """A new random 查询码 for the case (12 characters, ~59 bits), formatted XXXX-XXXX-XXXX."""
    for _ in range(8):
        code = "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(_LOOKUP_LEN))
        if session.get(CaseLookup, code) is None:
            session.add(CaseLookup(code=code, kind=ref.kind, case_id=ref.case_id))
            session.flush()
            return format_lookup_code(code)
    raise Conflict("Could not draw a free lookup code", "未能生成查询码，请重试", code="casework.lookup_code")


def lookup_code_of(session: Session, ref: CaseRef) -> str | None:
    code = session.scalar(select(CaseLookup.code).where(ref.owns(CaseLookup)))
    return format_lookup_code(code) if code else None


def lookup_codes_of(session: Session, kind: str, case_ids: Sequence[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseLookup.case_id, CaseLookup.code).where(
            CaseLookup.kind == kind, CaseLookup.case_id.in_(list(case_ids))
        )
    )
    return {cid: format_lookup_code(code) for cid, code in rows}


def find_lookup(session: Session, code: str) -> tuple[str, int] | None:
    """(kind, case id) of a 查询码, or None (an unknown code says nothing about any case)."""
    key = normalise_lookup_code(code)
    if len(key) != _LOOKUP_LEN or any(ch not in LOOKUP_ALPHABET for ch in key):
        return None
    row = session.get(CaseLookup, key)
    return (row.kind, row.case_id) if row is not None else None


# --- attachments -------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
)
TYPE_ZH = {"pdf": "PDF", "png": "PNG", "jpeg": "JPG"}


def sniff_type(content: bytes) -> tuple[str, str] | None:
    """(type, media type) by the file's first bytes, never by its name; None when unknown."""
    for magic, kind, media in _MAGIC:
        if content.startswith(magic):
            return kind, media
    return None


def check_attachment(filename: str, content: bytes, rule: AttachmentRule) -> tuple[str, str]:
    """The attachment's (type, media type), or the reason it is refused."""
    allowed = "、".join(TYPE_ZH[t] for t in rule.types)
    if len(content) > rule.max_bytes:
        raise TooLarge(
            f"Attachment {filename!r} is {len(content)} bytes; the limit is {rule.max_bytes}",
            f"附件“{filename}”大小为{len(content)}字节，超过上限{rule.max_bytes}字节（{rule.source}）",
            code="casework.attachment_too_large",
            field="attachments",
            value=filename,
            size=len(content),
            limit=rule.max_bytes,
        )
    sniffed = sniff_type(content)
    if sniffed is None or sniffed[0] not in rule.types:
        raise InvalidInput(
            f"Attachment {filename!r} is not a {'/'.join(rule.types)} file by its content",
            f"附件“{filename}”按文件内容不是{allowed}文件，只接受{allowed}（按内容识别，不按文件名）",
            code="casework.attachment_type",
            field="attachments",
            value=filename,
            allowed=list(rule.types),
        )
    return sniffed


def add_attachment(
    session: Session, ref: CaseRef, filename: str, content: bytes, rule: AttachmentRule, uploaded_by: str
) -> AttachmentView:
    """Keep a checked attachment with the case (PDF/JPEG/PNG by content, size and count limits)."""
    _, media = check_attachment(filename, content, rule)
    count = session.scalar(select(func.count(CaseAttachment.id)).where(ref.owns(CaseAttachment)))
    if (count or 0) >= rule.max_files:
        raise InvalidInput(
            f"At most {rule.max_files} attachments",
            f"附件最多{rule.max_files}个",
            code="casework.too_many_attachments",
            field="attachments",
            limit=rule.max_files,
        )
    name = (filename or "附件").replace("/", "_").replace("\\", "_")[-200:]
    row = CaseAttachment(
        kind=ref.kind,
        case_id=ref.case_id,
        filename=name,
        media_type=media,
        size=len(content),
        sha256=_sha(content),
        content=content,
        uploaded_by=uploaded_by,
    )
    session.add(row)
    session.flush()
    return _attachment_view(row)


def _attachment_view(row: CaseAttachment) -> AttachmentView:
    return AttachmentView.model_validate(row, from_attributes=True)


def attachments(session: Session, ref: CaseRef) -> list[AttachmentView]:
    rows = session.scalars(select(CaseAttachment).where(ref.owns(CaseAttachment)).order_by(CaseAttachment.id))
    return [_attachment_view(r) for r in rows]


def attachment_content(session: Session, ref: CaseRef, attachment_id: int) -> tuple[AttachmentView, bytes]:
    row = session.get(CaseAttachment, attachment_id)
    if row is None or row.kind != ref.kind or row.case_id != ref.case_id:
        raise NotFound(
            f"No attachment {attachment_id}",
            "未找到该附件",
            code="casework.attachment_not_found",
            id=attachment_id,
        )
    return _attachment_view(row), row.content


# --- letters -----------------------------------------------------------------------------------


def issue_letter(
    session: Session,
    ref: CaseRef,
    code: str,
    template: LetterTemplate,
    values: Mapping[str, Any],
    on: date,
) -> LetterView:
    """Issue a numbered letter from a ruleset template (``{prefix}〔{year}〕{n}号``, numbered per
    prefix and year) and keep its full text in the case file."""
    missing = template.fields() - set(values)
    if missing:
        raise InvalidInput(
            f"Letter {code!r} needs {sorted(missing)}",
            f"文书“{template.title_zh}”缺少内容：{'、'.join(sorted(missing))}",
            code="casework.letter_values",
            letter=code,
            missing=sorted(missing),
        )
    head = f"{template.number_prefix}〔{on.year}〕"
    taken = session.scalar(select(func.count(CaseLetter.id)).where(CaseLetter.number.startswith(head)))
    number = f"{head}{(taken or 0) + 1}号"
    text = template.template_zh.format_map(dict(values))
    row = CaseLetter(
        kind=ref.kind,
        case_id=ref.case_id,
        number=number,
        letter=code,
        title=template.title_zh,
        text=text,
        issued_on=on,
        sha256=_sha(text.encode("utf-8")),
    )
    session.add(row)
    session.flush()
    ledger.append(
        session,
        f"{ref.kind}.letter",
        f"{ref.ledger_ref}/letter/{row.id}",
        {"number": number, "letter": code, "issued_on": on.isoformat(), "text_sha256": row.sha256},
    )
    return _letter_view(row)


def _letter_view(row: CaseLetter) -> LetterView:
    return LetterView.model_validate(row, from_attributes=True)


def letters(session: Session, ref: CaseRef) -> list[LetterView]:
    rows = session.scalars(select(CaseLetter).where(ref.owns(CaseLetter)).order_by(CaseLetter.id))
    return [_letter_view(r) for r in rows]
