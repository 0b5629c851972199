"""政务失信通报: the ``government`` outbox consumer. When a negative record names a public body,
a notice goes to its superior and the audit body; when it names one of a body's officials (its
legal representative or key personnel, by the subjects' relations), to the body, the discipline
inspection and the personnel bodies (``notices.yaml``). Each notice is a row, a ledger entry and
an addressed push (``government.notice``) to the recipients' departments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core import events
from xinyong.core.clock import CHINA_TZ
from xinyong.core.errors import NotFound
from xinyong.core.paging import paged
from xinyong.government.bodies import body_type, get_body
from xinyong.government.models import GovernmentNotice
from xinyong.government.rules import NoticeRules, get_notice_rules
from xinyong.ledger import service as ledger
from xinyong.subjects import service as subjects_service

CONSUMER = "government"
PUSH_EVENT = "government.notice"
ROLE_ZH = {
    "superior": "上级主管单位",
    "audit": "审计部门",
    "employer": "所在单位",
    "discipline": "纪检监察机关",
    "personnel": "组织人事部门",
}


@dataclass
class NoticeInfo:
    id: int
    record_id: int
    subject_id: int
    subject_name: str
    body_subject_id: int
    body_name: str
    kind: str  # body | official
    item_code: str
    item_name: str
    document_number: str
    recipients: list[dict[str, Any]]
    text_zh: str
    source: str
    created_at: datetime


def _item_name(code: str) -> str:
    try:
        return catalog_service.get_catalog().item(code).name_zh
    except NotFound:
        return code


def _body_of_official(
    session: Session, subject_id: int, rules: NoticeRules
) -> subjects_service.SubjectBrief | None:
    for rel in subjects_service.list_relations(session, subject_id):
        # "incoming": this person holds ``role`` towards ``other``.
        if (
            rel.direction == "incoming"
            and rel.role in rules.official_roles
            and rel.until is None
            and body_type(rel.other.uscc) is not None
        ):
            return rel.other
    return None


def _recipients(
    session: Session, rules: NoticeRules, roles: list[str], body_id: int, body_name: str
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    registered = get_body(session, body_id)
    for role in roles:
        if role == "superior":
            if registered is not None:
                name, dept = registered.superior_name, registered.superior_department_code
            else:
                name, dept = rules.default_superior.name_zh, rules.default_superior.department_code
        elif role == "employer":
            name, dept = body_name, registered.department_code if registered else None
        else:
            r = rules.recipients[role]
            name, dept = r.name_zh, r.department_code
        out.append({"role": role, "role_zh": ROLE_ZH[role], "name_zh": name, "department_code": dept})
    return out


def _notify(
    session: Session,
    ev: events.Event,
    payload: dict[str, Any],
    cache: dict[int, Any],
) -> bool:
    subject_id = ev.subject_id
    if subject_id is None or ev.record_id is None:
        return False
    subject = cache.get(subject_id)
    if subject is None:
        return False
    created = ev.created_at if ev.created_at.tzinfo else ev.created_at.replace(tzinfo=UTC)
    rules = get_notice_rules(created.astimezone(CHINA_TZ).date())
    if body_type(subject.uscc) is not None:
        kind, body_id, body_name = "body", subject.id, subject.name
        roles: list[str] = [str(r) for r in rules.body]
    elif subject.kind == "natural_person":
        body = _body_of_official(session, subject.id, rules)
        if body is None:
            return False
        kind, body_id, body_name = "official", body.id, body.name
        roles = [str(r) for r in rules.official]
    else:
        return False
    exists = session.scalar(
        select(GovernmentNotice.id).where(
            GovernmentNotice.record_id == ev.record_id, GovernmentNotice.subject_id == subject_id
        )
    )
    if exists is not None:
        return False  # a replayed event: notified already
    item_code = str(payload.get("item_code") or "")
    recipients = _recipients(session, rules, roles, body_id, body_name)
    who = body_name if kind == "body" else f"{body_name}工作人员"
    text = (
        f"{who}有失信信息（{_item_name(item_code)}，文书号 {payload.get('document_number') or '—'}），"
        f"依规通报{'、'.join(r['name_zh'] for r in recipients)}，并记入信用档案。"
    )
    notice = GovernmentNotice(
        record_id=ev.record_id,
        subject_id=subject_id,
        body_subject_id=body_id,
        kind=kind,
        item_code=item_code,
        document_number=str(payload.get("document_number") or ""),
        recipients=recipients,
        text_zh=text,
        source=rules.source.strip()[:500],
    )
    session.add(notice)
    session.flush()
    ledger.append(
        session,
        "government.notice",
        f"notice:{notice.id}",
        {"record_id": ev.record_id, "subject_id": subject_id, "kind": kind, "recipients": recipients},
    )
    events.emit(
        session,
        PUSH_EVENT,
        subject_id=subject_id,
        record_id=ev.record_id,
        payload={
            "to_departments": sorted({r["department_code"] for r in recipients if r["department_code"]}),
            "notice_id": notice.id,
            "kind": kind,
            "item_code": item_code,
            "body_subject_id": body_id,
            "recipients": recipients,
            "text_zh": text,
        },
    )
    return True


def process_events(session: Session, limit: int = 10_000) -> int:
    """Consume the outbox; returns the events consumed. The caller commits."""
    if not events.wait_for_writers(session):
        return 0
    cursor, batch = events.pending(session, CONSUMER, limit)
    wanted = [
        ev
        for ev in batch
        if ev.type == "record.created" and (ev.payload or {}).get("polarity") == "negative" and ev.subject_id
    ]
    # One query for the subjects of the batch's negative records, not one per record.
    cache: dict[int, Any] = subjects_service.briefs(
        session, (ev.subject_id for ev in wanted if ev.subject_id)
    )
    for ev in wanted:
        _notify(session, ev, ev.payload or {}, cache)
    if batch:
        cursor.last_event_id = batch[-1].id
        session.flush()
    return len(batch)


def _notice_info(session: Session, n: GovernmentNotice, names: dict[int, str]) -> NoticeInfo:
    for sid in (n.subject_id, n.body_subject_id):
        if sid not in names:
            try:
                names[sid] = subjects_service.get_subject(session, sid).name
            except NotFound:
                names[sid] = ""
    return NoticeInfo(
        id=n.id,
        record_id=n.record_id,
        subject_id=n.subject_id,
        subject_name=names[n.subject_id],
        body_subject_id=n.body_subject_id,
        body_name=names[n.body_subject_id],
        kind=n.kind,
        item_code=n.item_code,
        item_name=_item_name(n.item_code),
        document_number=n.document_number,
        recipients=list(n.recipients or []),
        text_zh=n.text_zh,
        source=n.source,
        created_at=n.created_at if n.created_at.tzinfo else n.created_at.replace(tzinfo=UTC),
    )


@dataclass
class NoticePage:
    items: list[NoticeInfo]
    total: int
    page: int
    per_page: int


def list_notices(
    session: Session, *, page: int = 1, per_page: int = 50, body_subject_id: int | None = None
) -> NoticePage:
    cond = [] if body_subject_id is None else [GovernmentNotice.body_subject_id == body_subject_id]
    total, rows = paged(session, GovernmentNotice, cond, (GovernmentNotice.id.desc(),), page, per_page)
    names: dict[int, str] = {}
    return NoticePage(
        items=[_notice_info(session, n, names) for n in rows], total=total, page=page, per_page=per_page
    )


def notices_since(session: Session, since: date) -> int:
    start = datetime(since.year, since.month, since.day, tzinfo=CHINA_TZ).astimezone(UTC)
    return int(
        session.scalar(
            select(func.count()).select_from(GovernmentNotice).where(GovernmentNotice.created_at >= start)
        )
        or 0
    )
