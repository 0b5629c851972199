"""Disclosure of the subject row: the full ID number for those entitled to it, and the views the
public sees (natural persons de-identified). Who gets which view is decided by
``xinyong.access.service.access_for``, see docs/security.md."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.crypto import current_key_version, decrypt, reencrypt
from xinyong.core.identifiers import mask_person_name
from xinyong.subjects.common import RelationView, SearchPage, SubjectBrief, SubjectView, load_subject
from xinyong.subjects.models import Subject


def reveal_id_number(session: Session, subject_id: int) -> str | None:
    """The full ID number of a natural person (decrypted), for the subject itself or credit-office
    staff with a purpose. Callers log the read (query log)."""
    s = load_subject(session, subject_id)
    return decrypt(s.id_number_enc) if s.id_number_enc else None


def reencrypt_id_numbers(session: Session, *, batch: int = 500) -> int:
    """Re-encrypt with the current key (``XINYONG_PII_KEY_VERSION``) up to ``batch`` ID numbers
    still under an older key; returns how many (0 when done). ``xinyong keys rotate-pii``."""
    prefix = f"v{current_key_version()}:"
    rows = session.scalars(
        select(Subject)
        .where(Subject.id_number_enc.is_not(None), ~Subject.id_number_enc.startswith(prefix))
        .order_by(Subject.id)
        .limit(batch)
    ).all()
    for row in rows:
        assert row.id_number_enc is not None
        row.id_number_enc = reencrypt(row.id_number_enc)
    session.flush()
    return len(rows)


def public_person_name(name: str) -> str:
    """张三丰 → 张**: the surname stays, the given name is hidden. The rule is the records
    domain's disclosure rule (one place for every public view)."""
    return mask_person_name(name)


def public_subject_view(view: SubjectView) -> SubjectView:
    """The subject row as the public sees it: a natural person's name (and former names)
    de-identified and address left out (RULES.md, Shenzhen §38); organisations unchanged."""
    if view.kind != "natural_person":
        return view
    return replace(
        view,
        name=public_person_name(view.name),
        former_names=[public_person_name(n) for n in view.former_names],
        address=None,
    )


def public_brief(brief: SubjectBrief) -> SubjectBrief:
    """A subject brief as the public sees it: a natural person's name de-identified."""
    if brief.kind != "natural_person":
        return brief
    return replace(brief, name=public_person_name(brief.name))


def public_search_page(page: SearchPage) -> SearchPage:
    """Search results as the public sees them: natural persons' names (and the former name that
    matched) de-identified, like the portal's search and suggest."""
    items = [
        replace(
            hit,
            subject=public_brief(hit.subject),
            matched_name=public_person_name(hit.matched_name)
            if hit.matched_name and hit.subject.kind == "natural_person"
            else hit.matched_name,
        )
        for hit in page.items
    ]
    return replace(page, items=items)


def public_relations(relations: list[RelationView]) -> list[RelationView]:
    """Relations as the public sees them: related natural persons' names de-identified."""
    return [replace(r, other=public_brief(r.other)) for r in relations]
