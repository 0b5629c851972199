"""Shared pieces of the subjects domain: value normalisation, the views the service returns,
and the idempotent governance-case upsert used both by resolution and by detection.

Views never carry a full ID number: only the masked form (PIPL; RULES.md "Personal information").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.identifiers import check_ric, check_uscc, is_placeholder, mask_id_number
from xinyong.subjects.models import GovernanceCase, Subject, SubjectName

CASE_KINDS = ("inner_check_mismatch", "code_multiple_names", "name_multiple_codes", "provisional_subject")
CASE_STATUSES = ("open", "resolved")
RESOLUTIONS = ("merge", "correct", "distinct", "confirm")

_SPACES = re.compile(r"\s+")
_CODE_JUNK = re.compile(r"[\s\-]")


def clean_name(name: str) -> str:
    """The name as stored: trimmed, runs of (full-width) spaces collapsed."""
    # = _SPACES.sub(" ", name).strip(): ``str.split`` and ``\s`` know the same whitespace
    # (U+3000 included), and this runs in C (bulk ingest normalises one name per row).
    return " ".join(name.split())


def name_key(name: str) -> str:
    """Comparison form of a name: full-width brackets/letters folded (NFKC), no spaces, upper case.
    Departments write （） and () interchangeably; that must not count as a different name."""
    return "".join(unicodedata.normalize("NFKC", name).split()).upper()  # = _SPACES.sub("", ...)


def clean_code(code: str) -> str:
    """Codes arrive with full-width digits, stray spaces and lower case."""
    if code.isascii():  # NFKC leaves ASCII as it is
        return "".join(code.split()).replace("-", "").upper()
    return _CODE_JUNK.sub("", unicodedata.normalize("NFKC", code)).upper()


# ---------------------------------------------------------------------------------------------
# Codes


def valid_uscc(raw: str, *, cleaned: bool = False) -> tuple[str, bool]:
    """(normalised code, inner_check_mismatch); invalid codes and placeholders are refused.
    ``cleaned``: ``raw`` is already ``clean_code``'s output and known not to be a placeholder
    (an ASCII code is then used as it is)."""
    trusted = cleaned and raw.isascii()  # then clean_code(raw) == raw, not a placeholder
    code = raw if trusted else clean_code(raw)
    if not trusted and is_placeholder(code):
        raise InvalidInput(
            "A placeholder code cannot identify a subject",
            "占位代码（如 00000000000000000X）不能作为主体标识",
            code="subject.placeholder_code",
            field="uscc",
            value=code,
        )
    check = check_uscc(code)
    if not check.valid:
        raise InvalidInput(
            f"Invalid unified social credit code ({check.error})",
            "统一社会信用代码不符合 GB 32100-2015",
            code="subject.invalid_uscc",
            field="uscc",
            value=code,
            rule=check.error,
        )
    return code, check.inner_check == "mismatch"


def valid_ric(raw: str) -> str:
    code = clean_code(raw)
    if is_placeholder(code):
        raise InvalidInput(
            "A placeholder ID number cannot identify a person",
            "占位证件号码不能作为主体标识",
            code="subject.placeholder_code",
            field="id_number",
            value=mask_id_number(code) if len(code) == 18 else None,
        )
    check = check_ric(code)
    if not check.valid:
        raise InvalidInput(
            f"Invalid resident ID number ({check.error})",
            "居民身份证号码不符合 GB 11643-1999",
            code="subject.invalid_id_number",
            field="id_number",
            # Never echo a full ID number.
            value=mask_id_number(code) if len(code) == 18 else None,
            rule=check.error,
        )
    return code


# ---------------------------------------------------------------------------------------------
# Views returned by the service (plain dataclasses; the API turns them into schemas)


@dataclass
class SubjectBrief:
    id: int
    kind: str
    name: str
    uscc: str | None
    id_number_masked: str | None
    provisional: bool
    merged_into_id: int | None


@dataclass
class SubjectView:
    id: int
    kind: str
    name: str
    uscc: str | None
    id_number_masked: str | None
    former_names: list[str]
    legal_representative: str | None
    address: str | None
    division_code: str | None
    industry: str | None
    registered_on: date | None
    registered_capital: Decimal | None
    status: str
    provisional: bool
    merged_into_id: int | None
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def code(self) -> str | None:
        """The identifier shown for the subject (USCC, else the masked ID number)."""
        return self.uscc or self.id_number_masked


@dataclass
class RelationView:
    id: int
    # "outgoing": related subject holds ``role`` towards this subject (e.g. is its legal
    # representative); "incoming": this subject holds ``role`` towards ``other``.
    direction: str
    subject_id: int
    related_subject_id: int
    role: str
    since: date | None
    until: date | None
    source: str
    share_ratio: Decimal | None
    other: SubjectBrief


@dataclass
class SearchItem:
    subject: SubjectBrief
    match: str  # code | name | prefix | fragment
    matched_name: str | None  # the (possibly former) name that matched
    status: str
    division_code: str | None


@dataclass
class SearchPage:
    total: int
    page: int
    per_page: int
    items: list[SearchItem]


@dataclass
class CaseView:
    id: int
    kind: str
    key: str
    code: str | None
    name: str | None
    subject_ids: list[int]
    subjects: list[SubjectBrief]
    details: dict[str, Any]
    status: str
    resolution: str | None
    resolution_detail: dict[str, Any]
    note: str
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime | None


@dataclass
class CasePage:
    total: int
    page: int
    per_page: int
    items: list[CaseView]


@dataclass
class GovernanceReport:
    by_kind: dict[str, dict[str, int]]  # kind -> status -> count
    open_total: int
    codes_total: int  # distinct USCCs held by live subjects
    error_codes: int  # distinct codes in open 错码/重码 cases
    error_rate_per_10000: float
    target_per_10000: float | None
    target_source: str | None
    meets_target: bool | None
    extra: dict[str, Any] = field(default_factory=dict)


def brief(s: Subject) -> SubjectBrief:
    return SubjectBrief(
        id=s.id,
        kind=s.kind,
        name=s.name,
        uscc=s.uscc,
        id_number_masked=s.id_number_masked,
        provisional=bool(s.provisional),
        merged_into_id=s.merged_into_id,
    )


def load_subject(session: Session, subject_id: int) -> Subject:
    s = session.get(Subject, subject_id)
    if s is None:
        raise NotFound(
            f"Subject {subject_id} not found",
            "未找到该信用主体",
            code="subject.not_found",
            field="subject_id",
            value=subject_id,
        )
    return s


def names_of(session: Session, subject_id: int) -> list[SubjectName]:
    return list(
        session.scalars(
            select(SubjectName).where(SubjectName.subject_id == subject_id).order_by(SubjectName.id)
        )
    )


def add_name(
    session: Session, subject_id: int, name: str, *, current: bool, until: date | None = None
) -> None:
    """Record a name of a subject once (search indexes it through the FTS triggers / trgm index)."""
    key = name_key(name)
    for row in names_of(session, subject_id):
        if name_key(row.name) == key:
            if current and not row.current:
                row.current, row.until = True, None
            return
    session.add(SubjectName(subject_id=subject_id, name=name, current=current, until=until))


# ---------------------------------------------------------------------------------------------
# Governance cases: one upsert, used by resolve_subject (as records arrive) and detect_cases.


def upsert_case(
    session: Session,
    *,
    kind: str,
    base_key: str,
    subject_ids: list[int],
    code: str | None = None,
    name: str | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[GovernanceCase, bool]:
    """Open a case, or fold new evidence into the open case with the same key; returns (case, created).

    A decided case is never reopened: if a resolved case with this key already covers the same
    subjects (and, for 重码, the same names), nothing happens. New evidence after a decision
    (a third subject on the code, a new name) opens a fresh case ``<key>#<n>``.
    """
    details = dict(details or {})
    ids = sorted(set(subject_ids))
    existing = [
        c
        for c in session.scalars(
            select(GovernanceCase).where(GovernanceCase.key.startswith(base_key, autoescape=True))
        )
        if c.key == base_key or c.key.startswith(base_key + "#")
    ]
    new_names = {name_key(n) for n in details.get("names", [])}
    for c in existing:
        if c.status != "open":
            old_names = {name_key(n) for n in (c.details or {}).get("names", [])}
            if set(ids) <= set(c.subject_ids or []) and new_names <= old_names:
                return c, False
    for c in existing:
        if c.status == "open":
            merged_ids = sorted(set(c.subject_ids or []) | set(ids))
            merged_details = dict(c.details or {})
            for k, v in details.items():
                if isinstance(v, list):
                    seen = list(merged_details.get(k, []))
                    seen_keys = {name_key(str(x)) for x in seen}
                    for x in v:
                        if name_key(str(x)) not in seen_keys:
                            seen.append(x)
                            seen_keys.add(name_key(str(x)))
                    merged_details[k] = seen
                else:
                    merged_details.setdefault(k, v)
            if merged_ids != list(c.subject_ids or []):
                c.subject_ids = merged_ids
            if merged_details != (c.details or {}):
                c.details = merged_details
            return c, False
    key = base_key if not existing else f"{base_key}#{len(existing) + 1}"
    case = GovernanceCase(
        kind=kind,
        key=key,
        code=code,
        name=name,
        subject_ids=ids,
        details=details,
        status="open",
        resolution_detail={},
        note="",
    )
    session.add(case)
    session.flush()
    return case, True


def inner_check_case(
    session: Session, subject_id: int, code: str, name: str, *, source: str
) -> tuple[GovernanceCase, bool]:
    """A code whose embedded organisation code fails its check (GB 11714) is a 错码 candidate:
    a governance case, not a refusal; returns (case, created) as ``upsert_case``."""
    return upsert_case(
        session,
        kind="inner_check_mismatch",
        base_key=f"inner_check_mismatch:{code}",
        subject_ids=[subject_id],
        code=code,
        name=name,
        details={"check": "GB 11714 organisation code check character", "source": source},
    )


def open_provisional_case(session: Session, s: Subject, *, source: str, code_label: str | None) -> int:
    """Flag a provisional subject for review, listing live subjects that use the same name as
    candidates for a merge."""
    same_name = [
        sid
        for sid in session.scalars(
            select(SubjectName.subject_id)
            .join(Subject, Subject.id == SubjectName.subject_id)
            .where(SubjectName.name == s.name, Subject.id != s.id, Subject.merged_into_id.is_(None))
        )
    ]
    case, _ = upsert_case(
        session,
        kind="provisional_subject",
        base_key=f"provisional_subject:{s.id}",
        subject_ids=[s.id],
        code=code_label,
        name=s.name,
        details={"source": source, "candidates": sorted(set(same_name))},
    )
    return case.id


# Per-session memo of subject resolutions (see service.resolve_subject).
RESOLVE_CACHE = "xinyong.subjects.resolve_cache"


def clear_resolve_cache(session: Session) -> None:
    session.info.pop(RESOLVE_CACHE, None)
