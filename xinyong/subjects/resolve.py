"""Resolution of the subject a record names (``resolve_subject``): by USCC, by the ID number's
blind index, or by name; an unknown subject becomes a provisional one with a governance case,
never a dropped record.

Identity: legal persons and other organisations by USCC, natural persons by ID number (Shenzhen
2023 §24). ID numbers are stored only as ciphertext + keyed blind index + masked form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, event, insert, or_, select
from sqlalchemy.orm import Session

from xinyong.core.bulk import insert_rows, select_rows
from xinyong.core.crypto import blind_index, decrypt, encrypt
from xinyong.core.db import Database, utcnow
from xinyong.core.errors import Conflict, DomainError, InvalidInput, NotFound
from xinyong.core.events import emit
from xinyong.core.identifiers import is_placeholder, mask_id_number
from xinyong.core.rawsql import RawQuery
from xinyong.subjects.common import (
    RESOLVE_CACHE,
    RelationView,
    SearchPage,
    SubjectBrief,
    SubjectView,
    add_name,
    brief,
    clean_code,
    clean_name,
    clear_resolve_cache,
    load_subject,
    name_key,
    names_of,
    open_provisional_case,
    upsert_case,
    valid_ric,
    valid_uscc,
)
from xinyong.subjects.governance import close_provisional_case
from xinyong.subjects.models import (
    RELATION_ROLES,
    SUBJECT_KINDS,
    GovernanceCase,
    Relation,
    Subject,
    SubjectName,
)


@dataclass
class ResolvedSubject:
    subject_id: int
    created: bool  # a new (provisional) subject was created
    provisional: bool
    # e.g. {"code": "subject.name_differs", "message_zh": "..."}; never blocks the record
    warnings: list[dict[str, Any]] = field(default_factory=list)


# Values per IN (...) list of a batch lookup (SQLite allows 32,766 parameters per statement).
_IN_CHUNK = 1000

# ---------------------------------------------------------------------------------------------
# Kinds

# 行政相对人类别 labels (双公示 standard) and a few spellings seen in exports.
_CATEGORY_KINDS: dict[str, str | None] = {
    "自然人": "natural_person",
    "个体工商户": "individual_business",
    "个体户": "individual_business",
    # Legal persons and unincorporated organisations: the USCC decides (below).
    "法人及非法人组织": None,
    "法人和非法人组织": None,
    "法人": None,
    "非法人组织": None,
    "法人或其他组织": None,
    "其他组织": None,
}


# Kind codes are accepted as labels too (name_key upper-cases them).
_KIND_CODES = {k.upper(): k for k in SUBJECT_KINDS}


def kind_from_category(label: str | None, uscc: str | None = None) -> str:
    """Map 行政相对人类别 (法人及非法人组织 / 自然人 / 个体工商户) and the USCC to a subject kind.

    自然人 → natural_person; 个体工商户 → individual_business. For 法人及非法人组织 (or no label)
    the USCC decides, by its registration-authority and entity-type characters (GB 32100-2015
    code table): authority 9 (工商/市场监管) entity 2 → individual_business (个体工商户 are often
    sent as 法人及非法人组织), other 9x (企业, 农民专业合作社) → enterprise; every other authority
    (1 机构编制, 5 民政, 3 司法行政, 8 工会, 7 宗教, N 农业 collective economic organisations, Y ...)
    → organisation. Without a USCC: enterprise. A subject-kind code is accepted as the label too.
    """
    key = name_key(label or "")
    if key in _KIND_CODES:
        return _KIND_CODES[key]
    kind = _CATEGORY_KINDS.get(key)
    if kind is not None:
        return kind
    code = clean_code(uscc or "")
    if len(code) >= 2:
        if code[0] == "9":
            return "individual_business" if code[1] == "2" else "enterprise"
        return "organisation"
    return "enterprise"


# ---------------------------------------------------------------------------------------------
# Validation helpers


def _check_kind(kind: str) -> str:
    if kind not in SUBJECT_KINDS:
        raise InvalidInput(
            f"Unknown subject kind {kind!r}",
            "主体类别不正确",
            code="subject.unknown_kind",
            field="kind",
            value=kind,
            allowed=list(SUBJECT_KINDS),
        )
    return kind


def _live(stmt: Any) -> Any:
    return stmt.where(Subject.merged_into_id.is_(None))


def _new_subject(
    session: Session,
    *,
    kind: str,
    name: str,
    uscc: str | None,
    id_number: str | None,
    provisional: bool,
    former_names: list[str] | None = None,
    **fields: Any,
) -> Subject:
    s = Subject(kind=kind, name=name, uscc=uscc, provisional=provisional, status=fields.pop("status", "存续"))
    if id_number:
        s.id_number_enc = encrypt(id_number)
        s.id_number_hash = blind_index(id_number)
        s.id_number_masked = mask_id_number(id_number)
    for k, v in fields.items():
        if v is not None:
            setattr(s, k, v)
    session.add(s)
    session.flush()
    # The current name is a row too: search reads subject_names only.
    session.add(SubjectName(subject_id=s.id, name=name, current=True))
    seen = {name_key(name)}
    for former in former_names or []:
        f = clean_name(former)
        if f and name_key(f) not in seen:
            seen.add(name_key(f))
            session.add(SubjectName(subject_id=s.id, name=f, current=False))
    return s


def _names_match(session: Session, subject: Subject, name: str) -> bool:
    key = name_key(name)
    return name_key(subject.name) == key or any(
        name_key(n.name) == key for n in names_of(session, subject.id)
    )


# ---------------------------------------------------------------------------------------------
# Registration


def create_subject(
    session: Session,
    *,
    kind: str,
    name: str,
    uscc: str | None = None,
    id_number: str | None = None,
    legal_representative: str | None = None,
    address: str | None = None,
    division_code: str | None = None,
    industry: str | None = None,
    registered_on: date | None = None,
    registered_capital: Decimal | None = None,
    status: str = "存续",
    former_names: list[str] | None = None,
) -> int:
    """Register a subject from the registration source (not provisional); returns its id.

    Idempotent: the same code with the same name returns the existing subject. A provisional
    subject created earlier for this code (a record arrived first) is promoted: it takes the
    registered data, keeps the name the record used as a former name, and its governance case is
    closed as confirmed. The same code with a different name is stored as a second subject: that
    is a 重码 case for governance, not an error the registration source can fix here.
    """
    _check_kind(kind)
    name = clean_name(name or "")
    if not name:
        raise InvalidInput(
            "A subject needs a name", "主体名称不能为空", code="subject.name_required", field="name"
        )
    code: str | None = None
    mismatch = False
    ric: str | None = None
    if uscc:
        code, mismatch = valid_uscc(uscc)
    if id_number:
        ric = valid_ric(id_number)
    fields: dict[str, Any] = {
        "legal_representative": legal_representative,
        "address": address,
        "division_code": division_code,
        "industry": industry,
        "registered_on": registered_on,
        "registered_capital": registered_capital,
        "status": status,
    }
    clear_resolve_cache(session)
    cands: list[Subject] = []
    if code:
        cands = list(session.scalars(_live(select(Subject).where(Subject.uscc == code)).order_by(Subject.id)))
    elif ric:
        h = blind_index(ric)
        cands = list(
            session.scalars(_live(select(Subject).where(Subject.id_number_hash == h)).order_by(Subject.id))
        )
    same = next((c for c in cands if _names_match(session, c, name)), None)
    target = same or next((c for c in cands if c.provisional), None)
    if target is not None:
        subject = target
        if subject.provisional:
            _promote(session, subject, kind=kind, name=name, former_names=former_names, **fields)
    else:
        subject = _new_subject(
            session,
            kind=kind,
            name=name,
            uscc=code,
            id_number=ric,
            provisional=False,
            former_names=former_names,
            **fields,
        )
    if mismatch and code:
        upsert_case(
            session,
            kind="inner_check_mismatch",
            base_key=f"inner_check_mismatch:{code}",
            subject_ids=[subject.id],
            code=code,
            name=subject.name,
            details={"check": "GB 11714 organisation code check character", "source": "registration"},
        )
    return subject.id


def create_subjects(
    session: Session, rows: Iterable[Mapping[str, Any]], *, chunk_size: int = 1000
) -> list[int]:
    """Register many subjects at once (demo city, initial loads); ids in input order.

    Each row takes ``create_subject``'s keyword arguments and gets the same result; rows whose
    code is new are inserted in bulk (one statement per chunk), the rest take the one-by-one path
    (existing code → idempotent / promotion / 重码)."""
    ids: list[int] = []
    chunk: list[Mapping[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_size:
            ids += _create_chunk(session, chunk)
            chunk = []
    if chunk:
        ids += _create_chunk(session, chunk)
    return ids


def _create_chunk(session: Session, rows: list[Mapping[str, Any]]) -> list[int]:
    prepared: list[tuple[dict[str, Any], list[str], bool]] = []
    codes: set[str] = set()
    hashes: set[str] = set()
    seen_codes: set[str] = set()
    slow: set[int] = set()
    for i, row in enumerate(rows):
        unknown = set(row) - _CREATE_FIELDS
        if unknown:
            raise InvalidInput(
                f"Unknown subject fields {sorted(unknown)}",
                "主体字段不正确",
                code="subject.unknown_field",
                field=sorted(unknown)[0],
            )
        kind = _check_kind(str(row.get("kind", "")))
        name = clean_name(str(row.get("name") or ""))
        if not name:
            raise InvalidInput(
                "A subject needs a name", "主体名称不能为空", code="subject.name_required", field="name"
            )
        values: dict[str, Any] = {
            k: row.get(k) for k in _CREATE_FIELDS - {"kind", "name", "uscc", "id_number", "former_names"}
        }
        values["status"] = values.get("status") or "存续"
        values.update(kind=kind, name=name, uscc=None, provisional=False)
        mismatch = False
        key = ""
        if row.get("uscc"):
            values["uscc"], mismatch = valid_uscc(str(row["uscc"]))
            key = values["uscc"]
            codes.add(key)
        if row.get("id_number"):
            number = valid_ric(str(row["id_number"]))
            h = blind_index(number)
            values.update(
                id_number_enc=encrypt(number), id_number_hash=h, id_number_masked=mask_id_number(number)
            )
            key = key or "ric:" + h
            hashes.add(h)
        if key and key in seen_codes:
            slow.add(i)  # the same code twice in one chunk: let the one-by-one path decide
        if key:
            seen_codes.add(key)
        former = [clean_name(f) for f in (row.get("former_names") or []) if clean_name(f)]
        prepared.append((values, former, mismatch))
    taken: set[str] = set()
    if codes:
        taken |= set(session.scalars(select(Subject.uscc).where(Subject.uscc.in_(codes))))
    if hashes:
        taken |= {
            "ric:" + str(h)
            for h in session.scalars(select(Subject.id_number_hash).where(Subject.id_number_hash.in_(hashes)))
        }
    fast = []
    for i, (values, _former, _m) in enumerate(prepared):
        key = values["uscc"] or ("ric:" + values["id_number_hash"] if values.get("id_number_hash") else "")
        if i in slow or (key and key in taken):
            slow.add(i)
        else:
            fast.append(i)
    ids: dict[int, int] = {}
    if fast:
        now = utcnow()
        params = [{**prepared[i][0], "created_at": now, "updated_at": now} for i in fast]
        new_ids = session.scalars(
            insert(Subject).returning(Subject.id, sort_by_parameter_order=True), params
        ).all()
        names: list[dict[str, Any]] = []
        for i, sid in zip(fast, new_ids, strict=True):
            ids[i] = sid
            values, former, mismatch = prepared[i]
            names.append({"subject_id": sid, "name": values["name"], "current": True, "until": None})
            seen = {name_key(values["name"])}
            for f in former:
                if name_key(f) not in seen:
                    seen.add(name_key(f))
                    names.append({"subject_id": sid, "name": f, "current": False, "until": None})
            if mismatch:
                upsert_case(
                    session,
                    kind="inner_check_mismatch",
                    base_key=f"inner_check_mismatch:{values['uscc']}",
                    subject_ids=[sid],
                    code=values["uscc"],
                    name=values["name"],
                    details={"check": "GB 11714 organisation code check character", "source": "registration"},
                )
        session.execute(insert(SubjectName), names)
    for i in sorted(slow):
        row = dict(rows[i])
        ids[i] = create_subject(session, **row)
    return [ids[i] for i in range(len(rows))]


_CREATE_FIELDS = {
    "kind",
    "name",
    "uscc",
    "id_number",
    "legal_representative",
    "address",
    "division_code",
    "industry",
    "registered_on",
    "registered_capital",
    "status",
    "former_names",
}


def _promote(
    session: Session, subject: Subject, *, kind: str, name: str, former_names: list[str] | None, **fields: Any
) -> None:
    if name_key(subject.name) != name_key(name):
        for row in names_of(session, subject.id):
            if row.current:
                row.current = False
        subject.name = name
        add_name(session, subject.id, name, current=True)
    for former in former_names or []:
        if clean_name(former):
            add_name(session, subject.id, clean_name(former), current=False)
    subject.kind = kind
    for k, v in fields.items():
        if v is not None:
            setattr(subject, k, v)
    subject.provisional = False
    session.flush()
    close_provisional_case(
        session, subject.id, by="system:registration", note="主体登记信息已归集，临时主体转正"
    )


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


# ---------------------------------------------------------------------------------------------
# Lookup


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
        c = clean_code(code or "")
        raise NotFound(
            "No subject has this code",
            "未找到该代码对应的信用主体",
            code="subject.not_found",
            field="code",
            # An ID number is never echoed in full.
            value=mask_id_number(c) if len(c) == 18 and c[:17].isdigit() else c,
        )
    return found


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
# Disclosure of the subject row (added by the access-control work, issue 4; who gets which view
# is decided by ``xinyong.querylog.service.access_for``, see docs/security.md)


def reveal_id_number(session: Session, subject_id: int) -> str | None:
    """The full ID number of a natural person (decrypted), for the subject itself or credit-office
    staff with a purpose. Callers log the read (query log)."""
    s = load_subject(session, subject_id)
    return decrypt(s.id_number_enc) if s.id_number_enc else None


def reencrypt_id_numbers(session: Session, *, batch: int = 500) -> int:
    """Re-encrypt with the current key (``XINYONG_PII_KEY_VERSION``) up to ``batch`` ID numbers
    still under an older key; returns how many (0 when done). ``xinyong keys rotate-pii``."""
    from xinyong.core.crypto import current_key_version, reencrypt

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
    from xinyong.records import service as records_service

    return records_service.public_person_name(name)


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


def rename_subject(
    session: Session, subject_id: int, new_name: str, *, on: date | None = None, source: str = ""
) -> SubjectView:
    """Change a subject's name; the former name stays searchable (曾用名) with the date it ended."""
    s = load_subject(session, subject_id)
    if s.merged_into_id is not None:
        raise Conflict(
            "A merged subject cannot be renamed",
            "该主体已被合并，不能更名",
            code="subject.merged",
            subject_id=subject_id,
            merged_into_id=s.merged_into_id,
        )
    name = clean_name(new_name or "")
    if not name:
        raise InvalidInput(
            "A subject needs a name", "主体名称不能为空", code="subject.name_required", field="name"
        )
    if name_key(name) == name_key(s.name):
        return _view(session, s)
    clear_resolve_cache(session)
    old = s.name
    ended = on or date.today()
    for row in names_of(session, s.id):
        if row.current:
            row.current, row.until = False, ended
    add_name(session, s.id, name, current=True)
    s.name = name
    session.flush()
    emit(
        session,
        "subject.renamed",
        subject_id=s.id,
        payload={"from": old, "to": name, "on": ended.isoformat(), "source": source},
    )
    return _view(session, s)


# ---------------------------------------------------------------------------------------------
# Resolution of the subject a record names


def _cache(session: Session) -> dict[tuple[str, str, str], ResolvedSubject]:
    """Per-session memo of resolutions that found an existing subject: an ingest batch names the
    same subjects many times. Dropped on commit/rollback and by any change to subjects."""
    cache: dict[tuple[str, str, str], ResolvedSubject] | None = session.info.get(RESOLVE_CACHE)
    if cache is None:
        cache = session.info[RESOLVE_CACHE] = {}
        if not session.info.get(RESOLVE_CACHE + ".hooked"):
            session.info[RESOLVE_CACHE + ".hooked"] = True
            event.listen(session, "after_commit", clear_resolve_cache)
            event.listen(session, "after_rollback", clear_resolve_cache)
    return cache


def _warn(code: str, message: str, message_zh: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "message_zh": message_zh, **extra}


def resolve_subject(
    session: Session,
    *,
    name: str,
    kind: str,
    uscc: str | None = None,
    id_number: str | None = None,
    legal_representative: str | None = None,
    source: str = "",
) -> ResolvedSubject:
    """Find the subject a record names (by USCC; natural persons by ID-number blind index).
    An unknown code creates a provisional subject flagged for governance review, never a drop;
    a known code with a different name opens a 重码 governance case and still attaches.

    Placeholder codes never become identities (the caller rejects them; here they are ignored
    with a warning). Invalid codes raise ``InvalidInput``.
    """
    plan = _plan(name, kind, uscc, id_number)
    cache = _cache(session)
    memo = cache.get((plan.path, plan.key, plan.name_key))
    if memo is not None:
        return ResolvedSubject(memo.subject_id, False, memo.provisional, plan.warnings + list(memo.warnings))
    name, kind, key = plan.name, plan.kind, plan.key
    if plan.path == "ric":
        result = _resolve_by_ric(
            session, name=name, kind=kind, ric=key, source=source, lr=legal_representative
        )
    elif plan.path == "uscc":
        result = _resolve_by_uscc(
            session, name=name, kind=kind, uscc=key, source=source, lr=legal_representative
        )
    else:
        result = _resolve_by_name(session, name=name, kind=kind, source=source, lr=legal_representative)
    cache[(plan.path, key, plan.name_key)] = ResolvedSubject(
        result.subject_id, False, result.provisional, list(result.warnings)
    )
    result.warnings = plan.warnings + result.warnings
    return result


@dataclass
class _Plan:
    """How ``resolve_subject`` looks a record's subject up: by USCC, by the ID number (``key``
    is the validated number) or by name, plus the warnings normalisation produced."""

    name: str
    name_key: str
    kind: str
    path: str  # uscc | ric | name
    key: str
    warnings: list[dict[str, Any]]


def _plan(name: str, kind: str, uscc: str | None, id_number: str | None) -> _Plan:
    name = clean_name(name or "")
    if kind not in SUBJECT_KINDS:
        kind = kind_from_category(kind, uscc)
    warnings: list[dict[str, Any]] = []
    code = clean_code(uscc) if uscc else None
    ric = clean_code(id_number) if id_number else None
    for label, value in (("uscc", code), ("id_number", ric)):
        if value and is_placeholder(value):
            warnings.append(
                _warn(
                    "subject.placeholder_code",
                    f"Placeholder {label} ignored",
                    "占位代码不作为主体标识，已忽略",
                    field=label,
                )
            )
            if label == "uscc":
                code = None
            else:
                ric = None
    if not name and not code and not ric:
        raise InvalidInput(
            "The record names no subject", "记录未写明行政相对人", code="subject.unidentified", field="name"
        )
    if ric and (kind == "natural_person" or not code):
        path, key = "ric", valid_ric(ric)
    elif code:
        path, key = "uscc", code
    else:
        path, key = "name", name
    return _Plan(name, name_key(name), kind, path, key, warnings)


class SubjectRef(NamedTuple):
    """What one record says about its subject: the arguments of ``resolve_subject``. A named
    tuple: bulk ingest makes one per row, and a frozen dataclass costs several times more."""

    name: str
    kind: str
    uscc: str | None = None
    id_number: str | None = None
    legal_representative: str | None = None
    source: str = ""


@dataclass
class _Candidate:
    id: int
    name: str
    provisional: bool
    keys: set[str] | None = None  # name keys of every name it has had (loaded when needed)


@dataclass
class _Pending:
    """A provisional subject ``resolve_subjects`` will insert with the next bulk statement."""

    row: int
    plan: _Plan
    ref: SubjectRef
    uscc: str | None
    id_number: str | None
    # later rows of the batch naming the same new code: the same name, or no name
    followers: list[tuple[int, _Plan]] = field(default_factory=list)


def resolve_subjects(session: Session, refs: Sequence[SubjectRef]) -> list[ResolvedSubject | DomainError]:
    """``resolve_subject`` for many records at once (bulk ingest), in input order.

    The results, subjects, names and governance cases are exactly those of calling
    ``resolve_subject`` row by row, but the known codes of the whole batch are read with one
    query per kind of code, and the provisional subjects for unknown codes are inserted in
    bulk (subjects, names and governance cases: one statement each). A row whose code is refused
    gets its ``DomainError`` in its place instead of raising. Rows that need a governance
    decision on the way (a code sent under another name, an inner-check mismatch, no code at
    all) take the row-by-row path, in order."""
    out: list[ResolvedSubject | DomainError | None] = [None] * len(refs)
    plans: list[_Plan | None] = []
    codes: set[str] = set()
    hashes: dict[str, str] = {}  # validated ID number -> blind index
    for i, ref in enumerate(refs):
        try:
            first = _plan(ref.name, ref.kind, ref.uscc, ref.id_number)
        except DomainError as exc:
            out[i] = exc
            plans.append(None)
            continue
        plans.append(first)
        if first.path == "uscc":
            codes.add(first.key)
        elif first.path == "ric" and first.key not in hashes:
            hashes[first.key] = blind_index(first.key)
    known = _known_candidates(session, codes, set(hashes.values()))
    _load_name_keys(session, known, plans, hashes)

    cache = _cache(session)
    pending: dict[str, _Pending] = {}  # candidate key -> subject to insert
    dirty: set[str] = set()  # keys the row-by-row path touched: their later rows take it too

    def materialise() -> None:
        if pending:
            _insert_provisional(session, list(pending.values()), out, cache, known)
            pending.clear()

    def one_by_one(i: int, ckey: str | None) -> None:
        materialise()
        ref = refs[i]
        try:
            out[i] = resolve_subject(
                session,
                name=ref.name,
                kind=ref.kind,
                uscc=ref.uscc,
                id_number=ref.id_number,
                legal_representative=ref.legal_representative,
                source=ref.source,
            )
        except DomainError as exc:
            out[i] = exc
        if ckey is not None:
            dirty.add(ckey)

    for i, plan in enumerate(plans):
        if plan is None:
            continue
        cache = _cache(session)  # the row-by-row path may have replaced it
        memo = cache.get((plan.path, plan.key, plan.name_key))
        if memo is not None:
            out[i] = ResolvedSubject(
                memo.subject_id, False, memo.provisional, plan.warnings + list(memo.warnings)
            )
            continue
        if plan.path == "name":
            one_by_one(i, None)
            continue
        if plan.path == "uscc":
            try:
                code, mismatch = valid_uscc(plan.key, cleaned=True)  # ``_plan`` cleaned and checked it
            except DomainError as exc:
                out[i] = exc
                continue
            ckey = "uscc:" + code
            if mismatch:
                one_by_one(i, ckey)  # a 错码 case to open or extend
                continue
        else:
            ckey = "ric:" + hashes[plan.key]
        if ckey in dirty:
            one_by_one(i, ckey)
            continue
        new = pending.get(ckey)
        if new is not None:
            if plan.name_key == new.plan.name_key or not plan.name:
                new.followers.append((i, plan))
            else:
                one_by_one(i, ckey)  # another name for the new code: a 重码 case
            continue
        cands = known.get(ckey)
        if not cands:
            ref = refs[i]
            pending[ckey] = _Pending(
                row=i,
                plan=plan,
                ref=ref,
                uscc=plan.key if plan.path == "uscc" else None,
                id_number=plan.key if plan.path == "ric" else None,
            )
            continue
        if len(cands) == 1 and (not plan.name or cands[0].name == plan.name):
            matched: _Candidate | None = cands[0]  # the usual case: one subject, same name
        else:
            matched = next(
                (
                    c
                    for c in sorted(cands, key=lambda c: (c.provisional, c.id))
                    if not plan.name or plan.name_key in (c.keys or {name_key(c.name)})
                ),
                None,
            )
        if matched is None:
            one_by_one(i, ckey)  # a known code under another name: a 重码 case
            continue
        # Not memoised: a later row naming the subject finds it in ``known`` (or, in a later
        # batch, with that batch's query) and gets the same answer, and a memo entry per row
        # cost more to build and free than that lookup.
        warnings = [_provisional_warning(None)] if matched.provisional else []
        out[i] = ResolvedSubject(matched.id, False, matched.provisional, plan.warnings + warnings)
    materialise()
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def _known_candidates(session: Session, codes: set[str], hashes: set[str]) -> dict[str, list[_Candidate]]:
    """Live subjects holding the codes, keyed ``uscc:<code>`` / ``ric:<blind index>``."""
    known: dict[str, list[_Candidate]] = {}
    cols = (Subject.id, Subject.name, Subject.provisional, Subject.uscc, Subject.id_number_hash)
    for column, values, prefix in ((Subject.uscc, codes, "uscc:"), (Subject.id_number_hash, hashes, "ric:")):
        ordered = sorted(values)
        for start in range(0, len(ordered), _IN_CHUNK):
            rows = select_rows(
                session, _live(select(*cols).where(column.in_(ordered[start : start + _IN_CHUNK])))
            )
            for sid, sname, provisional, code, h in rows:
                value = code if prefix == "uscc:" else h
                known.setdefault(prefix + value, []).append(_Candidate(sid, sname, bool(provisional)))
    return known


def _load_name_keys(
    session: Session, known: dict[str, list[_Candidate]], plans: list[_Plan | None], hashes: dict[str, str]
) -> None:
    """Former names matter only where a row's name is not a candidate's current name: load the
    names of those candidates with one query."""
    need: dict[int, _Candidate] = {}
    for plan in plans:
        if plan is None or not plan.name or plan.path == "name":
            continue
        ckey = "uscc:" + plan.key if plan.path == "uscc" else "ric:" + hashes[plan.key]
        cands = known.get(ckey)
        if not cands:
            continue
        if len(cands) == 1 and (cands[0].name == plan.name or name_key(cands[0].name) == plan.name_key):
            continue
        need.update((c.id, c) for c in cands if c.keys is None)
    ids = sorted(need)
    for c in need.values():
        c.keys = {name_key(c.name)}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = select_rows(
            session,
            select(SubjectName.subject_id, SubjectName.name).where(
                SubjectName.subject_id.in_(ids[start : start + _IN_CHUNK])
            ),
        )
        for sid, sname in rows:
            keys = need[sid].keys
            assert keys is not None
            keys.add(name_key(sname))


def _insert_provisional(
    session: Session,
    pending: list[_Pending],
    out: list[ResolvedSubject | DomainError | None],
    cache: dict[tuple[str, str, str], ResolvedSubject],
    known: dict[str, list[_Candidate]],
) -> None:
    """Insert provisional subjects, their names and governance cases in bulk; fill the results
    of their rows (as ``_resolve_by_uscc`` / ``_resolve_by_ric`` and ``open_provisional_case``
    would have, one row after the other)."""
    now = utcnow()
    subjects_table = cast(Table, Subject.__table__)
    params: list[dict[str, Any]] = []
    labels: list[str | None] = []
    for p in pending:
        masked = mask_id_number(p.id_number) if p.id_number else None
        label = p.uscc or masked
        labels.append(label)
        params.append(
            {
                "kind": p.plan.kind,
                "name": p.plan.name or label,
                "uscc": p.uscc,
                "id_number_enc": encrypt(p.id_number) if p.id_number else None,
                "id_number_hash": blind_index(p.id_number) if p.id_number else None,
                "id_number_masked": masked,
                "legal_representative": p.ref.legal_representative,
                "provisional": True,
                "status": "存续",
                "created_at": now,
                "updated_at": now,
            }
        )
    # RETURNING rows come back in any order (SQLAlchemy sends SQLite rows one by one when asked to
    # sort them): map them back by the code, unique within the batch.
    returned = insert_rows(session, subjects_table, params, returning=("id", "uscc", "id_number_hash"))
    by_code = {code or "ric:" + str(h): sid for sid, code, h in returned}
    ids = [by_code[v["uscc"] or "ric:" + str(v["id_number_hash"])] for v in params]
    insert_rows(
        session,
        cast(Table, SubjectName.__table__),
        [
            {"subject_id": sid, "name": v["name"], "current": True, "until": None}
            for sid, v in zip(ids, params, strict=True)
        ],
    )
    # open_provisional_case: live subjects using the same name are candidates for a merge (the
    # ones of this batch only if they were created before).
    order = {sid: n for n, sid in enumerate(ids)}
    names = sorted({v["name"] for v in params})
    same: dict[str, set[int]] = {}
    for start in range(0, len(names), _IN_CHUNK):
        rows = select_rows(
            session,
            select(SubjectName.subject_id, SubjectName.name)
            .join(Subject, Subject.id == SubjectName.subject_id)
            .where(SubjectName.name.in_(names[start : start + _IN_CHUNK]), Subject.merged_into_id.is_(None)),
        )
        for sid, sname in rows:
            same.setdefault(sname, set()).add(sid)
    keys = [f"provisional_subject:{sid}" for sid in ids]
    taken = {
        k for (k,) in select_rows(session, select(GovernanceCase.key).where(GovernanceCase.key.in_(keys)))
    }
    cases: list[dict[str, Any]] = []
    case_rows: list[int] = []
    case_ids: dict[int, int] = {}
    for n, (p, sid, v, label, key) in enumerate(zip(pending, ids, params, labels, keys, strict=True)):
        candidates = sorted(c for c in same.get(v["name"], ()) if c != sid and order.get(c, -1) < n)
        details = {"source": p.ref.source, "candidates": candidates}
        if key in taken:  # a stale key (never expected): the row-by-row upsert decides
            case, _ = upsert_case(
                session,
                kind="provisional_subject",
                base_key=key,
                subject_ids=[sid],
                code=label,
                name=v["name"],
                details=details,
            )
            case_ids[n] = case.id
            continue
        case_rows.append(n)
        cases.append(
            {
                "kind": "provisional_subject",
                "key": key,
                "code": label,
                "name": v["name"],
                "subject_ids": [sid],
                "details": details,
                "status": "open",
                "resolution": None,
                "resolution_detail": {},
                "note": "",
                "resolved_by": None,
                "resolved_at": None,
                "created_at": now,
            }
        )
    if cases:
        cases_table = cast(Table, GovernanceCase.__table__)
        by_key = {key: cid for cid, key in insert_rows(session, cases_table, cases, returning=("id", "key"))}
        case_ids.update((n, by_key[c["key"]]) for n, c in zip(case_rows, cases, strict=True))
    for n, (p, sid) in enumerate(zip(pending, ids, strict=True)):
        warning = _provisional_warning(case_ids[n])
        out[p.row] = ResolvedSubject(sid, True, True, [*p.plan.warnings, warning])
        cache[(p.plan.path, p.plan.key, p.plan.name_key)] = ResolvedSubject(sid, False, True, [warning])
        for row, plan in p.followers:
            if plan.name_key == p.plan.name_key:  # the memo of the first row answers
                out[row] = ResolvedSubject(sid, False, True, [*plan.warnings, dict(warning)])
                continue
            # A row without a name attaches to the subject its code names.
            other = _provisional_warning(None)
            cache[(plan.path, plan.key, plan.name_key)] = ResolvedSubject(sid, False, True, [other])
            out[row] = ResolvedSubject(sid, False, True, [*plan.warnings, dict(other)])
        ckey = "uscc:" + p.uscc if p.uscc else "ric:" + str(params[n]["id_number_hash"])
        known[ckey] = [_Candidate(sid, str(params[n]["name"]), True)]


def _attach_or_flag(
    session: Session,
    cands: list[Subject],
    *,
    name: str,
    base_key: str,
    code_label: str,
    source: str,
) -> tuple[Subject, list[dict[str, Any]]]:
    """Pick the subject among those holding the code; a name none of them uses opens a 重码 case."""
    warnings: list[dict[str, Any]] = []
    cands = sorted(cands, key=lambda s: (bool(s.provisional), s.id))
    matched = next((c for c in cands if not name or _names_match(session, c, name)), None)
    if matched is not None:
        return matched, warnings
    primary = cands[0]
    names: list[str] = []
    for c in cands:
        names += [n.name for n in names_of(session, c.id)]
    names.append(name)
    case, _ = upsert_case(
        session,
        kind="code_multiple_names",
        base_key=base_key,
        subject_ids=[c.id for c in cands],
        code=code_label,
        name=primary.name,
        details={"names": names, "sources": [source] if source else []},
    )
    warnings.append(
        _warn(
            "subject.name_differs",
            f"The code is registered under another name ({primary.name}); a governance case is open",
            f"该代码登记的主体名称为“{primary.name}”，与记录中的名称不一致，已转入重错码治理",
            registered_name=primary.name,
            case_id=case.id,
        )
    )
    return primary, warnings


def _provisional_warning(case_id: int | None) -> dict[str, Any]:
    return _warn(
        "subject.provisional",
        "Unknown subject: a provisional subject holds the record until staff review it",
        "主体库中未找到该主体，已建立临时主体，待人工核实",
        case_id=case_id,
    )


def _resolve_by_uscc(
    session: Session, *, name: str, kind: str, uscc: str, source: str, lr: str | None
) -> ResolvedSubject:
    code, mismatch = valid_uscc(uscc)
    cands = list(session.scalars(_live(select(Subject).where(Subject.uscc == code))))
    created = False
    if cands:
        subject, warnings = _attach_or_flag(
            session, cands, name=name, base_key=f"code_multiple_names:{code}", code_label=code, source=source
        )
        if subject.provisional:
            warnings.append(_provisional_warning(None))
    else:
        subject = _new_subject(
            session,
            kind=kind,
            name=name or code,
            uscc=code,
            id_number=None,
            provisional=True,
            legal_representative=lr,
        )
        created = True
        warnings = [
            _provisional_warning(open_provisional_case(session, subject, source=source, code_label=code))
        ]
    if mismatch:
        case, _ = upsert_case(
            session,
            kind="inner_check_mismatch",
            base_key=f"inner_check_mismatch:{code}",
            subject_ids=[subject.id],
            code=code,
            name=subject.name,
            details={"check": "GB 11714 organisation code check character", "source": source},
        )
        warnings.append(
            _warn(
                "subject.inner_check_mismatch",
                "The embedded organisation code fails its check: a 错码 candidate",
                "统一社会信用代码内嵌组织机构代码校验不通过，疑似错码，已转入重错码治理",
                case_id=case.id,
            )
        )
    return ResolvedSubject(subject.id, created, bool(subject.provisional), warnings)


def _resolve_by_ric(
    session: Session, *, name: str, kind: str, ric: str, source: str, lr: str | None
) -> ResolvedSubject:
    h = blind_index(ric)
    masked = mask_id_number(ric)
    cands = list(session.scalars(_live(select(Subject).where(Subject.id_number_hash == h))))
    if cands:
        subject, warnings = _attach_or_flag(
            session,
            cands,
            name=name,
            base_key=f"code_multiple_names:ric:{h}",
            code_label=masked,
            source=source,
        )
        if subject.provisional:
            warnings.append(_provisional_warning(None))
        return ResolvedSubject(subject.id, False, bool(subject.provisional), warnings)
    subject = _new_subject(
        session,
        kind=kind,
        name=name or masked,
        uscc=None,
        id_number=ric,
        provisional=True,
        legal_representative=lr,
    )
    case_id = open_provisional_case(session, subject, source=source, code_label=masked)
    return ResolvedSubject(subject.id, True, True, [_provisional_warning(case_id)])


def _resolve_by_name(
    session: Session, *, name: str, kind: str, source: str, lr: str | None
) -> ResolvedSubject:
    """No code at all (e.g. old-edition rows with only 工商注册号): one provisional subject per name."""
    warnings = [
        _warn(
            "subject.no_code",
            "The record gives no USCC or ID number; matched by name only",
            "记录未提供统一社会信用代码或身份证号码，仅按名称归集",
        )
    ]
    existing = session.scalar(
        _live(
            select(Subject).where(
                Subject.name == name, Subject.uscc.is_(None), Subject.id_number_hash.is_(None)
            )
        )
        .order_by(Subject.id)
        .limit(1)
    )
    if existing is not None:
        if existing.provisional:
            warnings.append(_provisional_warning(None))
        return ResolvedSubject(existing.id, False, bool(existing.provisional), warnings)
    subject = _new_subject(
        session, kind=kind, name=name, uscc=None, id_number=None, provisional=True, legal_representative=lr
    )
    case_id = open_provisional_case(session, subject, source=source, code_label=None)
    warnings.append(_provisional_warning(case_id))
    return ResolvedSubject(subject.id, True, True, warnings)


# ---------------------------------------------------------------------------------------------
# For other domains' queries that span many subjects (added by the portal work: the public
# 双公示 list must leave out natural persons' penalties without reading the subjects table).


def ids_of_kind(kind: str) -> Select[int]:
    """A SELECT of the ids of subjects of ``kind``, to embed in another domain's query."""
    return select(Subject.id).where(Subject.kind == _check_kind(kind))


# ---------------------------------------------------------------------------------------------
# For the evaluation engine (added by the evaluation work, issue 5): the attributes a model may
# score, for every subject (batch) or a few (incremental), without reading the subjects table.


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
