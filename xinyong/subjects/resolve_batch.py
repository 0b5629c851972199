"""``resolve_subjects``: ``resolve_subject`` for many records at once (bulk ingest), with the same
results, the known codes read with one query per kind of code and the provisional subjects
inserted in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from xinyong.core.bulk import insert_rows, select_rows
from xinyong.core.crypto import blind_index, encrypt
from xinyong.core.db import utcnow
from xinyong.core.errors import DomainError
from xinyong.core.identifiers import mask_id_number
from xinyong.subjects.common import name_key, upsert_case, valid_uscc
from xinyong.subjects.models import GovernanceCase, Subject, SubjectName
from xinyong.subjects.register import _live
from xinyong.subjects.resolve import (
    ResolvedSubject,
    _cache,
    _Plan,
    _plan,
    _provisional_warning,
    resolve_subject,
)

# Values per IN (...) list of a batch lookup (SQLite allows 32,766 parameters per statement).
_IN_CHUNK = 1000


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
            out[i] = resolve_subject(session, **ref._asdict())
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
