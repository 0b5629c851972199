"""Applying the business register (登记注册基础信息) to subjects: a register row received through
ingest updates the subject it names (name, type, legal representative, capital, founding date,
address, industry, status, district), and a relation row writes a relation or a former name.

The register is the authority on these facts, so a newer row replaces what the subject held; a
provisional subject (created because a record named an unknown code first) becomes registered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput
from xinyong.subjects.common import (
    add_name,
    clean_name,
    clear_resolve_cache,
    load_subject,
    name_key,
    names_of,
)
from xinyong.subjects.kinds import _check_kind
from xinyong.subjects.register import confirm_registered, create_subject, fill, live_subject, rename_subject
from xinyong.subjects.relations import add_relation

# GB/T 4754—2017 sections are the letters A-T; the subject keeps the section (what the pages and
# the monitoring group by), the record keeps the full code.
_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRST")


def industry_section(code: str | None) -> str | None:
    """The GB/T 4754 section letter of an industry code (``C3411`` → ``C``), or None."""
    text = (code or "").strip().upper()
    return text[0] if text and text[0] in _SECTIONS else None


def apply_register_entry(
    session: Session,
    subject_id: int,
    *,
    name: str,
    kind: str | None = None,
    legal_representative: str | None = None,
    registered_capital: Decimal | None = None,
    registered_on: date | None = None,
    address: str | None = None,
    industry_code: str | None = None,
    status: str | None = None,
    division_code: str | None = None,
    approved_on: date | None = None,
    source: str = "",
) -> None:
    """Write a register row onto its subject. A new name renames the subject (the old one stays
    searchable as a former name); empty values leave what the subject holds."""
    s = live_subject(
        session, subject_id, "A merged subject cannot take register data", "该主体已被合并，不能更新登记信息"
    )
    name = clean_name(name or "")
    if name and name_key(name) != name_key(s.name):
        rename_subject(session, subject_id, name, on=approved_on, source=source)
    if kind is not None and kind != "natural_person":
        s.kind = _check_kind(kind)
    fill(
        s,
        {
            "legal_representative": legal_representative,
            "registered_capital": registered_capital,
            "registered_on": registered_on,
            "address": address,
            "industry": industry_section(industry_code),
            "status": status,
            "division_code": (division_code or "")[:6] or None,
        },
    )
    if s.provisional:
        confirm_registered(session, s)
    clear_resolve_cache(session)
    session.flush()


def add_former_name(session: Session, subject_id: int, former: str, *, until: date | None = None) -> None:
    """Record a former name (曾用名) of a subject; idempotent."""
    name = clean_name(former or "")
    if not name:
        raise InvalidInput(
            "A former name is empty", "曾用名不能为空", code="subject.name_required", field="related_name"
        )
    s = load_subject(session, subject_id)
    if name_key(name) == name_key(s.name):
        return
    for row in names_of(session, subject_id):
        if name_key(row.name) == name_key(name):
            if until is not None and row.until != until and not row.current:
                row.until = until
            return
    add_name(session, subject_id, name, current=False)
    if until is not None:
        for row in names_of(session, subject_id):
            if name_key(row.name) == name_key(name):
                row.until = until
    clear_resolve_cache(session)
    session.flush()


def apply_register_relation(
    session: Session,
    subject_id: int,
    *,
    role: str,
    related_name: str,
    related_kind: str,
    related_uscc: str | None = None,
    related_id_number: str | None = None,
    share_ratio: Decimal | None = None,
    since: date | None = None,
    until: date | None = None,
    source: str = "",
) -> int | None:
    """Write one register relation: the related party is found by its code (or registered from
    the row when new) and linked with ``role``; returns the relation id (None for a former name).
    A party without a code cannot be identified and is refused."""
    if role == "former_name":
        add_former_name(session, subject_id, related_name, until=until)
        return None
    if related_kind == "natural_person":
        if not related_id_number:
            raise InvalidInput(
                "A related natural person needs an ID number",
                "关联方为自然人时必须填写证件号码",
                code="register.related_identity",
                field="related_id_number",
            )
        related_id = create_subject(
            session, kind="natural_person", name=related_name, id_number=related_id_number
        )
    else:
        if not related_uscc:
            raise InvalidInput(
                "A related organisation needs its unified social credit code",
                "关联方为法人、非法人组织或个体工商户时必须填写统一社会信用代码",
                code="register.related_identity",
                field="related_uscc",
            )
        related_id = create_subject(session, kind=related_kind, name=related_name, uscc=related_uscc)
    return add_relation(
        session,
        subject_id,
        related_id,
        role,
        since=since,
        until=until,
        source=source,
        share_ratio=share_ratio,
    )
