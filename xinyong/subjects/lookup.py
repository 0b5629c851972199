"""Reading subjects: one by id or by code (USCC or ID number), the light brief of the check API's
hot path, and the selections other domains' queries use to span many subjects without reading
the subjects table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from xinyong.core.crypto import blind_index
from xinyong.core.db import Database
from xinyong.core.errors import NotFound
from xinyong.core.identifiers import mask_id_number
from xinyong.core.rawsql import RawQuery
from xinyong.subjects.common import (
    SubjectBrief,
    SubjectView,
    brief,
    clean_code,
    load_subject,
    name_key,
    names_of,
)
from xinyong.subjects.kinds import _check_kind
from xinyong.subjects.models import Subject


def _view(session: Session, s: Subject) -> SubjectView:
    former = [
        n.name for n in names_of(session, s.id) if not n.current and name_key(n.name) != name_key(s.name)
    ]
    return SubjectView(
        id=s.id,
        kind=s.kind,
        name=s.name,
        uscc=s.uscc,
        id_number_masked=s.id_number_masked,
        former_names=former,
        legal_representative=s.legal_representative,
        address=s.address,
        division_code=s.division_code,
        industry=s.industry,
        registered_on=s.registered_on,
        registered_capital=s.registered_capital,
        status=s.status,
        provisional=bool(s.provisional),
        merged_into_id=s.merged_into_id,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def get_subject(session: Session, subject_id: int) -> SubjectView:
    """The subject by id (a merged subject is returned as itself, with ``merged_into_id``)."""
    return _view(session, load_subject(session, subject_id))


def briefs(session: Session, subject_ids: Iterable[int]) -> dict[int, SubjectBrief]:
    """The brief of each existing subject among ``subject_ids``, in one query (consumers that
    look at many events' subjects at once)."""
    ids = sorted(set(subject_ids))
    out: dict[int, SubjectBrief] = {}
    for start in range(0, len(ids), 900):
        for s in session.scalars(select(Subject).where(Subject.id.in_(ids[start : start + 900]))):
            out[s.id] = brief(s)
    return out


def _follow_merges(session: Session, s: Subject) -> Subject:
    seen = {s.id}
    while s.merged_into_id is not None and s.merged_into_id not in seen:
        seen.add(s.merged_into_id)
        s = load_subject(session, s.merged_into_id)
    return s


def find_by_code(session: Session, code: str) -> SubjectView | None:
    """The subject a USCC or an ID number identifies, or None.

    An 18-digit code may be either (an all-digit USCC is legal), so the USCC column is tried
    first, then the ID number's blind index. Several live subjects on one code (a 重码 case)
    → the registered one, then the oldest. A merged subject leads to the one it was merged into.
    """
    c = clean_code(code or "")
    if not c:
        return None
    rows = list(session.scalars(select(Subject).where(Subject.uscc == c)))
    if not rows and len(c) == 18:
        rows = list(session.scalars(select(Subject).where(Subject.id_number_hash == blind_index(c))))
    if not rows:
        return None
    rows.sort(key=lambda s: (s.merged_into_id is not None, bool(s.provisional), s.id))
    return _view(session, _follow_merges(session, rows[0]))


_BRIEF_SQL: tuple[Any, Any] | None = None  # (by USCC, by ID number's blind index)


def _brief_sql() -> tuple[Any, Any]:
    """The two lookups of ``brief_by_code``, built once (statement construction costs more than
    the indexed lookup itself on the check API's hot path)."""
    global _BRIEF_SQL
    if _BRIEF_SQL is None:
        cols = (
            Subject.id,
            Subject.kind,
            Subject.name,
            Subject.uscc,
            Subject.id_number_masked,
            Subject.merged_into_id,
            Subject.provisional,
        )
        _BRIEF_SQL = (
            select(*cols).where(Subject.uscc == bindparam("code")),
            select(*cols).where(Subject.id_number_hash == bindparam("code")),
        )
    return _BRIEF_SQL


def brief_by_code(session: Session, code: str) -> SubjectBrief | None:
    """As ``find_by_code`` (same choice among several subjects on one code, merges followed),
    reading only the identifying columns in one light query (hot paths: the check API)."""
    c = clean_code(code or "")
    if not c:
        return None
    by_uscc, by_id_number = _brief_sql()
    conn = session.connection()  # Core, not the ORM's execution path: plain columns, hot path
    rows = list(conn.execute(by_uscc, {"code": c}))
    if not rows and len(c) == 18:
        rows = list(conn.execute(by_id_number, {"code": blind_index(c)}))
    if not rows:
        return None
    rows.sort(key=lambda r: (r.merged_into_id is not None, bool(r.provisional), r.id))
    r = rows[0]
    if r.merged_into_id is not None:
        v = find_by_code(session, c)
        return (
            None
            if v is None
            else SubjectBrief(v.id, v.kind, v.name, v.uscc, v.id_number_masked, v.provisional, None)
        )
    return SubjectBrief(r.id, r.kind, r.name, r.uscc, r.id_number_masked, bool(r.provisional), None)


def get_brief_by_code(session: Session, code: str) -> SubjectBrief:
    """As ``brief_by_code`` but a missing subject is ``NotFound`` (as ``get_by_code``)."""
    found = brief_by_code(session, code)
    if found is None:
        get_by_code(session, code)  # raises the same NotFound (the ID number masked)
        raise AssertionError("unreachable")
    return found


def get_by_code(session: Session, code: str) -> SubjectView:
    """As ``find_by_code`` but a missing subject is ``NotFound`` (code ``subject.not_found``)."""
    found = find_by_code(session, code)
    if found is None:
        raise subject_not_found(code)
    return found


def subject_not_found(code: str | None) -> NotFound:
    """The answer to a code nobody has (also given where a subject must not be revealed)."""
    c = clean_code(code or "")
    return NotFound(
        "No subject has this code",
        "未找到该代码对应的信用主体",
        code="subject.not_found",
        field="code",
        # An ID number is never echoed in full.
        value=mask_id_number(c) if len(c) == 18 and c[:17].isdigit() else c,
    )


_BRIEF_RAW: tuple[RawQuery, RawQuery] | None = None


def brief_by_code_fast(db: Database, code: str) -> SubjectBrief | None:
    """As ``brief_by_code`` (same choice, merges followed), on the store's kept-open reader
    (``xinyong.core.rawsql``): the check API's lookup, about 6x cheaper than through a session.
    A merged subject (rare) is followed through a session."""
    global _BRIEF_RAW
    c = clean_code(code or "")
    if not c:
        return None
    if _BRIEF_RAW is None:
        by_uscc, by_id_number = _brief_sql()
        _BRIEF_RAW = (RawQuery(by_uscc), RawQuery(by_id_number))
    with db.reader.connection() as raw:
        rows = _BRIEF_RAW[0].rows(raw, {"code": c})
        if not rows and len(c) == 18:
            rows = _BRIEF_RAW[1].rows(raw, {"code": blind_index(c)})
    if not rows:
        return None
    # (id, kind, name, uscc, id_number_masked, merged_into_id, provisional), as in brief_by_code
    rows.sort(key=lambda r: (r[5] is not None, bool(r[6]), r[0]))
    r = rows[0]
    if r[5] is not None:
        with db.session() as session:
            return brief_by_code(session, c)
    return SubjectBrief(r[0], r[1], r[2], r[3], r[4], bool(r[6]), None)


# ---------------------------------------------------------------------------------------------
# For other domains' queries that span many subjects, without reading the subjects table: the
# public 双公示 list leaves out natural persons' penalties; the evaluation engine reads the
# attributes a model may score, for every subject (batch) or a few (incremental).


def ids_of_kind(kind: str) -> Select[int]:
    """A SELECT of the ids of subjects of ``kind``, to embed in another domain's query."""
    return select(Subject.id).where(Subject.kind == _check_kind(kind))


@dataclass(frozen=True)
class EvaluationSubject:
    subject_id: int
    kind: str
    status: str
    registered_on: date | None
    registered_capital: Decimal | None


def evaluation_subjects(
    session: Session, *, kinds: Iterable[str] | None = None, subject_ids: Iterable[int] | None = None
) -> list[EvaluationSubject]:
    """Subjects (not merged away) of ``kinds`` and/or ``subject_ids``, ordered by id."""
    stmt = select(
        Subject.id, Subject.kind, Subject.status, Subject.registered_on, Subject.registered_capital
    ).where(Subject.merged_into_id.is_(None))
    if kinds is not None:
        stmt = stmt.where(Subject.kind.in_([_check_kind(k) for k in kinds]))
    chunks: list[list[int] | None] = [None]
    if subject_ids is not None:
        ids = sorted(set(subject_ids))
        chunks = [ids[i : i + 1000] for i in range(0, len(ids), 1000)]
    out: list[EvaluationSubject] = []
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(Subject.id.in_(chunk))
        out.extend(EvaluationSubject(*row) for row in session.execute(part.order_by(Subject.id)))
    return out
