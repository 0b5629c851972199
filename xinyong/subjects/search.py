"""Subject search: Chinese name fragments (current and former names) and code prefixes.

SQLite uses the FTS5 ``trigram`` table ``subject_names_fts``; PostgreSQL the ``pg_trgm`` GIN
indexes (both created by migration 0002). Ranking: exact code > exact name > prefix (of a name
or of a USCC) > fragment; then shorter names first, then id. ID numbers match only exactly, via
the blind index, and only their masked form is returned.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from xinyong.core.crypto import blind_index
from xinyong.core.errors import InvalidInput
from xinyong.core.paging import check_page
from xinyong.subjects.common import SearchItem, SearchPage, brief, clean_code, clean_name
from xinyong.subjects.models import SUBJECT_KINDS, Subject, SubjectName

MAX_PER_PAGE = 100
_RANK_MATCH = {0: "code", 1: "name", 2: "prefix", 3: "fragment"}
_CODE_RE = re.compile(r"^[0-9A-Z]+$")
_RIC_RE = re.compile(r"^\d{17}[\dX]$")


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_hits_sql(dialect: str, q: str, params: dict[str, Any]) -> str:
    """SELECT subject_id, rank over matching names (current and former)."""
    params["q_exact"] = q.lower()
    params["q_len"] = len(q)
    rank = (
        "CASE WHEN lower(sn.name) = :q_exact THEN 1 "
        "WHEN lower(substr(sn.name, 1, :q_len)) = :q_exact THEN 2 ELSE 3 END"
    )
    params["q_like"] = f"%{_like_escape(q)}%"
    if dialect == "sqlite":
        if len(q) >= 3:
            # Trigram MATCH: a quoted phrase is a substring search on the index.
            params["q_match"] = '"' + q.replace('"', '""') + '"'
            where = "subject_names_fts MATCH :q_match"
        else:
            # Two characters make no trigram: scan the FTS table with LIKE. The ESCAPE clause keeps
            # SQLite from handing the pattern to the trigram index, which (3.40) answers nothing
            # for patterns shorter than three characters.
            where = "f.name LIKE :q_like ESCAPE '\\'"
        return (
            f"SELECT sn.subject_id AS subject_id, {rank} AS rank "
            "FROM subject_names_fts f JOIN subject_names sn ON sn.id = f.rowid "
            f"WHERE {where}"
        )
    # PostgreSQL: ILIKE is served by the gin_trgm_ops index.
    return f"SELECT sn.subject_id AS subject_id, {rank} AS rank FROM subject_names sn WHERE sn.name ILIKE :q_like"


def _code_hits_sql(dialect: str, code: str, params: dict[str, Any]) -> list[str]:
    parts: list[str] = []
    if not _CODE_RE.match(code):
        return parts
    params["code"] = code
    # USCC: exact (rank 0) or prefix (rank 2). The code alphabet has no LIKE/GLOB metacharacters.
    prefix = "s.uscc GLOB :code || '*'" if dialect == "sqlite" else "s.uscc LIKE :code || '%'"
    parts.append(
        "SELECT s.id AS subject_id, CASE WHEN s.uscc = :code THEN 0 ELSE 2 END AS rank "
        f"FROM subjects s WHERE {prefix}"
    )
    if _RIC_RE.match(code):
        # ID numbers: exact match only, never by prefix.
        params["id_hash"] = blind_index(code)
        parts.append("SELECT s.id AS subject_id, 0 AS rank FROM subjects s WHERE s.id_number_hash = :id_hash")
    return parts


def search(
    session: Session,
    q: str,
    *,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 20,
    public: bool = False,
) -> SearchPage:
    """Search live (not merged) subjects by name fragment (2+ characters, former names too), by
    USCC prefix, or by an exact ID number. Ranked and paginated.

    ``public``: the search of the public view, which never finds a natural person (no existence
    oracle: a name or an ID number alone must not tell that a person has a credit file)."""
    q = clean_name(q or "")
    if len(q) < 2:
        raise InvalidInput(
            "The search needs at least 2 characters",
            "请输入至少 2 个字符进行查询",
            code="subject.query_too_short",
            field="q",
            value=q,
        )
    if kind is not None and kind not in SUBJECT_KINDS:
        raise InvalidInput(
            f"Unknown subject kind {kind!r}",
            "主体类别不正确",
            code="subject.unknown_kind",
            field="kind",
            value=kind,
            allowed=list(SUBJECT_KINDS),
        )
    check_page(page, per_page, limit=MAX_PER_PAGE, code="subject.bad_page")
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {}
    parts = [_name_hits_sql(dialect, q, params)]
    parts += _code_hits_sql(dialect, clean_code(q), params)
    hits = " UNION ALL ".join(parts)
    filters = "s.merged_into_id IS NULL"
    if kind is not None:
        filters += " AND s.kind = :kind"
        params["kind"] = kind
    if public:
        filters += " AND s.kind <> :hidden_kind"
        params["hidden_kind"] = "natural_person"
    base = (
        f"WITH hits AS ({hits}), best AS (SELECT subject_id, MIN(rank) AS rank FROM hits GROUP BY subject_id) "
        f"SELECT {{cols}} FROM best JOIN subjects s ON s.id = best.subject_id WHERE {filters}"
    )
    total = int(session.execute(text(base.format(cols="COUNT(*)")), params).scalar_one())
    params["limit"] = per_page
    params["offset"] = (page - 1) * per_page
    rows = session.execute(
        text(
            base.format(cols="s.id, best.rank")
            + " ORDER BY best.rank, length(s.name), s.id LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    ids = [int(r[0]) for r in rows]
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(ids)))} if ids else {}
    matched = _matched_names(session, ids, q) if ids else {}
    items = []
    for sid, rank in rows:
        s = subjects[int(sid)]
        items.append(
            SearchItem(
                subject=brief(s),
                match=_RANK_MATCH[int(rank)],
                matched_name=matched.get(s.id),
                status=s.status,
                division_code=s.division_code,
            )
        )
    return SearchPage(total=total, page=page, per_page=per_page, items=items)


def _matched_names(session: Session, ids: list[int], q: str) -> dict[int, str]:
    """For each hit, the name that contains the query (prefer the current name), so a hit found
    through a former name can be shown as 曾用名."""
    out: dict[int, str] = {}
    ql = q.lower()
    rows = session.execute(
        select(SubjectName.subject_id, SubjectName.name, SubjectName.current)
        .where(SubjectName.subject_id.in_(ids))
        .order_by(SubjectName.current.desc(), SubjectName.id)
    ).all()
    for sid, name, _current in rows:
        if sid not in out and ql in name.lower():
            out[sid] = name
    return out
