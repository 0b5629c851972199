"""Relations between subjects: who holds which role (legal representative, shareholder, branch,
actual controller, key personnel) towards a subject."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput
from xinyong.subjects.common import RelationView, brief, load_subject
from xinyong.subjects.models import RELATION_ROLES, Relation, Subject


def add_relation(
    session: Session,
    subject_id: int,
    related_subject_id: int,
    role: str,
    *,
    since: date | None = None,
    until: date | None = None,
    source: str = "",
    share_ratio: Decimal | None = None,
) -> int:
    """Link two subjects: ``related_subject_id`` holds ``role`` towards ``subject_id`` (e.g. a
    person who is the company's legal_representative, a shareholder of it, a branch of it, its
    actual controller or key personnel). Idempotent on (subject, related, role, since)."""
    if role not in RELATION_ROLES:
        raise InvalidInput(
            f"Unknown relation role {role!r}",
            "关联关系类型不正确",
            code="relation.unknown_role",
            field="role",
            value=role,
            allowed=list(RELATION_ROLES),
        )
    if subject_id == related_subject_id:
        raise InvalidInput(
            "A subject cannot be related to itself",
            "主体不能与自身建立关联关系",
            code="relation.self",
            field="related_subject_id",
            value=related_subject_id,
        )
    load_subject(session, subject_id)
    load_subject(session, related_subject_id)
    if since and until and until < since:
        raise InvalidInput(
            "until is before since", "关联关系的结束日期早于开始日期", code="relation.dates", field="until"
        )
    existing = session.scalar(
        select(Relation).where(
            Relation.subject_id == subject_id,
            Relation.related_subject_id == related_subject_id,
            Relation.role == role,
            Relation.since.is_(None) if since is None else Relation.since == since,
        )
    )
    if existing is not None:
        if until is not None and existing.until != until:
            existing.until = until
        return existing.id
    rel = Relation(
        subject_id=subject_id,
        related_subject_id=related_subject_id,
        role=role,
        since=since,
        until=until,
        source=source,
        share_ratio=share_ratio,
    )
    session.add(rel)
    session.flush()
    return rel.id


def list_relations(session: Session, subject_id: int) -> list[RelationView]:
    """Both directions: who holds a role towards this subject, and what roles it holds."""
    load_subject(session, subject_id)
    rels = list(
        session.scalars(
            select(Relation)
            .where(or_(Relation.subject_id == subject_id, Relation.related_subject_id == subject_id))
            .order_by(Relation.role, Relation.since, Relation.id)
        )
    )
    other_ids = {r.related_subject_id if r.subject_id == subject_id else r.subject_id for r in rels}
    others = (
        {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(other_ids)))}
        if other_ids
        else {}
    )
    out = []
    for r in rels:
        outgoing = r.subject_id == subject_id
        other = others[r.related_subject_id if outgoing else r.subject_id]
        out.append(
            RelationView(
                id=r.id,
                direction="outgoing" if outgoing else "incoming",
                subject_id=r.subject_id,
                related_subject_id=r.related_subject_id,
                role=r.role,
                since=r.since,
                until=r.until,
                source=r.source,
                share_ratio=r.share_ratio,
                other=brief(other),
            )
        )
    return out
