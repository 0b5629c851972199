"""Resolution of the subject a record names (``resolve_subject``): by USCC, by the ID number's
blind index, or by name; an unknown subject becomes a provisional one with a governance case,
never a dropped record. Natural persons are found by the ID number's keyed blind index only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from xinyong.core.crypto import blind_index
from xinyong.core.errors import InvalidInput
from xinyong.core.identifiers import is_placeholder, mask_id_number
from xinyong.subjects.common import (
    RESOLVE_CACHE,
    clean_code,
    clean_name,
    clear_resolve_cache,
    inner_check_case,
    name_key,
    names_of,
    open_provisional_case,
    upsert_case,
    valid_ric,
    valid_uscc,
)
from xinyong.subjects.kinds import kind_from_category
from xinyong.subjects.models import SUBJECT_KINDS, Subject
from xinyong.subjects.register import _live, _names_match, _new_subject


@dataclass
class ResolvedSubject:
    subject_id: int
    created: bool  # a new (provisional) subject was created
    provisional: bool
    # e.g. {"code": "subject.name_differs", "message_zh": "..."}; never blocks the record
    warnings: list[dict[str, Any]] = field(default_factory=list)


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


def _attach_or_flag(
    session: Session,
    cands: list[Subject],
    *,
    name: str,
    base_key: str,
    code_label: str,
    source: str,
) -> tuple[Subject, list[dict[str, Any]]]:
    """Pick the subject among those holding the code; a name none of them uses opens a 重码 case.
    A provisional pick is said in a warning too."""
    warnings: list[dict[str, Any]] = []
    cands = sorted(cands, key=lambda s: (bool(s.provisional), s.id))
    matched = next((c for c in cands if not name or _names_match(session, c, name)), None)
    if matched is None:
        matched = cands[0]
        warnings.append(
            _name_case(session, cands, name=name, base_key=base_key, code_label=code_label, source=source)
        )
    if matched.provisional:
        warnings.append(_provisional_warning(None))
    return matched, warnings


def _name_case(
    session: Session, cands: list[Subject], *, name: str, base_key: str, code_label: str, source: str
) -> dict[str, Any]:
    """Open (or add to) the 重码 case of a code whose subjects none use ``name``; its warning."""
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
    return _warn(
        "subject.name_differs",
        f"The code is registered under another name ({primary.name}); a governance case is open",
        f"该代码登记的主体名称为“{primary.name}”，与记录中的名称不一致，已转入重错码治理",
        registered_name=primary.name,
        case_id=case.id,
    )


def _provisional_warning(case_id: int | None) -> dict[str, Any]:
    return _warn(
        "subject.provisional",
        "Unknown subject: a provisional subject holds the record until staff review it",
        "主体库中未找到该主体，已建立临时主体，待人工核实",
        case_id=case_id,
    )


def _new_provisional(
    session: Session,
    *,
    kind: str,
    name: str,
    uscc: str | None,
    id_number: str | None,
    lr: str | None,
    source: str,
    code_label: str | None,
) -> tuple[Subject, dict[str, Any]]:
    """A provisional subject for a code (or a name) the store does not know, with its governance
    case: the subject and its warning."""
    subject = _new_subject(
        session,
        kind=kind,
        name=name,
        uscc=uscc,
        id_number=id_number,
        provisional=True,
        legal_representative=lr,
    )
    case_id = open_provisional_case(session, subject, source=source, code_label=code_label)
    return subject, _provisional_warning(case_id)


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
    else:
        subject, warning = _new_provisional(
            session,
            kind=kind,
            name=name or code,
            uscc=code,
            id_number=None,
            lr=lr,
            source=source,
            code_label=code,
        )
        created = True
        warnings = [warning]
    if mismatch:
        case, _ = inner_check_case(session, subject.id, code, subject.name, source=source)
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
        return ResolvedSubject(subject.id, False, bool(subject.provisional), warnings)
    subject, warning = _new_provisional(
        session,
        kind=kind,
        name=name or masked,
        uscc=None,
        id_number=ric,
        lr=lr,
        source=source,
        code_label=masked,
    )
    return ResolvedSubject(subject.id, True, True, [warning])


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
    subject, warning = _new_provisional(
        session, kind=kind, name=name, uscc=None, id_number=None, lr=lr, source=source, code_label=None
    )
    return ResolvedSubject(subject.id, True, True, [*warnings, warning])
