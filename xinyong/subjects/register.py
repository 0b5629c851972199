"""Registration of subjects from the registration source (one or many at once), the promotion of
a provisional subject once it is registered, and renaming; and the row-level helpers resolution
shares (``_new_subject`` makes the provisional subjects too)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from xinyong.core.crypto import blind_index, encrypt
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, InvalidInput
from xinyong.core.events import emit
from xinyong.core.identifiers import mask_id_number
from xinyong.subjects.common import (
    SubjectView,
    add_name,
    clean_name,
    clear_resolve_cache,
    inner_check_case,
    load_subject,
    name_key,
    names_of,
    valid_ric,
    valid_uscc,
)
from xinyong.subjects.governance import close_provisional_case
from xinyong.subjects.kinds import _check_kind
from xinyong.subjects.lookup import _view
from xinyong.subjects.models import Subject, SubjectName

# ---------------------------------------------------------------------------------------------
# Helpers (resolution uses them too)


def _live(stmt: Any) -> Any:
    return stmt.where(Subject.merged_into_id.is_(None))


def required_name(name: str | None) -> str:
    """The cleaned name; an empty one is refused."""
    cleaned = clean_name(name or "")
    if not cleaned:
        raise InvalidInput(
            "A subject needs a name", "主体名称不能为空", code="subject.name_required", field="name"
        )
    return cleaned


def live_subject(session: Session, subject_id: int, message: str, message_zh: str) -> Subject:
    """The subject, refused (``subject.merged``) when it has been merged into another."""
    s = load_subject(session, subject_id)
    if s.merged_into_id is not None:
        raise Conflict(
            message, message_zh, code="subject.merged", subject_id=subject_id, merged_into_id=s.merged_into_id
        )
    return s


def fill(subject: Subject, values: Mapping[str, Any]) -> None:
    """Set the given values on the subject; None leaves what it holds."""
    for key, value in values.items():
        if value is not None and getattr(subject, key) != value:
            setattr(subject, key, value)


def confirm_registered(session: Session, subject: Subject) -> None:
    """A provisional subject is registered now: its governance case closes as confirmed."""
    subject.provisional = False
    session.flush()
    close_provisional_case(
        session, subject.id, by="system:registration", note="主体登记信息已归集，临时主体转正"
    )


def _distinct_formers(name: str, former_names: Iterable[str]) -> list[str]:
    """The former names, cleaned, each once, without the current name."""
    seen = {name_key(name)}
    formers: list[str] = []
    for former in former_names:
        f = clean_name(former)
        if f and name_key(f) not in seen:
            seen.add(name_key(f))
            formers.append(f)
    return formers


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
    fill(s, fields)
    session.add(s)
    session.flush()
    # The current name is a row too: search reads subject_names only.
    session.add(SubjectName(subject_id=s.id, name=name, current=True))
    for former in _distinct_formers(name, former_names or []):
        session.add(SubjectName(subject_id=s.id, name=former, current=False))
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
    name = required_name(name)
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
        inner_check_case(session, subject.id, code, subject.name, source="registration")
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
        name = required_name(str(row.get("name") or ""))
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
        former = _distinct_formers(name, row.get("former_names") or [])
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
            names += [{"subject_id": sid, "name": f, "current": False, "until": None} for f in former]
            if mismatch:
                inner_check_case(session, sid, values["uscc"], values["name"], source="registration")
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
    fill(subject, fields)
    confirm_registered(session, subject)


def rename_subject(
    session: Session, subject_id: int, new_name: str, *, on: date | None = None, source: str = ""
) -> SubjectView:
    """Change a subject's name; the former name stays searchable (曾用名) with the date it ended."""
    s = live_subject(session, subject_id, "A merged subject cannot be renamed", "该主体已被合并，不能更名")
    name = required_name(new_name)
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
