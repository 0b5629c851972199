"""Measures service: the measure catalog, checks (查询式 / 嵌入式) with signed receipts, batch
checks, the check log and feedback (奖惩案例反馈). Push (触发式) lives in ``push.py``.

A check reads the subject's credit state row (grade, list memberships, counts of in-force
records) through ``creditstate.service.check_states`` and, only when the counts say a record
condition can hold, the in-force records it points to; it never recomputes a grade or a list
membership. The measure conditions (data, ``rulesets/<name>/measures/``) are applied to those
facts; the answer, the reasons and the rule and data versions go into a receipt signed with the
ledger's Ed25519 key, and the check is logged in ``measure_checks``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import add_months, as_date
from xinyong.core import calendar as work_calendar
from xinyong.core import ledger
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge, UnknownCalendarYear
from xinyong.creditstate import service as creditstate_service
from xinyong.measures import receipts
from xinyong.measures.catalog import Measure, MeasureCatalog, Trigger, get_measures
from xinyong.measures.models import MeasureCheck, MeasureFeedback
from xinyong.measures.schemas import (
    BasisOut,
    BatchAnswer,
    BatchItem,
    CaseOut,
    CheckAnswer,
    CheckPage,
    CheckSummary,
    FeedbackOut,
    FeedbackRequest,
    FeedbackStats,
    MatterOut,
    MatterRef,
    MeasureOut,
    StateRef,
    StatRow,
    TriggerOut,
    VerifyResult,
)
from xinyong.querylog import service as querylog_service
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

_CHECKS = cast(Table, MeasureCheck.__table__)
# Operational limits (not legal numbers): subjects per batch check, bytes of an upload.
MAX_BATCH = 2000
# Header names of the subject-code column in an uploaded batch file (case-insensitive).
CODE_HEADERS = (
    "统一社会信用代码",
    "社会信用代码",
    "信用代码",
    "证件号码",
    "身份证号码",
    "身份证号",
    "主体代码",
    "代码",
    "code",
    "subject",
    "uscc",
    "id_number",
    "cf_xdr_shxym",
    "xk_xdr_shxym",
)
STAFF_ROLES = frozenset({"credit_office", "admin"})


@dataclass(frozen=True)
class Caller:
    """Who asks, as plain values (the router takes them from the principal). ``principal`` is
    the whole caller for the query log (who, organisation, role, IP); a caller built without one
    (the CLI) is logged as a command-line user of ``role``."""

    label: str
    role: str
    department_code: str | None = None
    principal: Principal | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def who(self) -> Principal:
        if self.principal is not None:
            return self.principal
        return Principal(
            role=self.role, kind="cli", username=self.label, department_code=self.department_code
        )


# Writes one check's (or one batch's) log rows: the check-log rows and their query-log entries.
LogWriter = Callable[[list[dict[str, Any]], list[dict[str, Any]]], None]


def _ts(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), several times cheaper (hot path).
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# ============================================================================================
# Catalog


def _basis_out(cat: MeasureCatalog, codes: Iterable[str]) -> list[BasisOut]:
    return [
        BasisOut(code=b.code, law=b.law, article=b.article, excerpt_zh=b.excerpt_zh)
        for b in (cat.bases[c] for c in codes)
    ]


def _trigger_out(cat: MeasureCatalog, t: Trigger) -> TriggerOut:
    return TriggerOut(
        lists=t.lists,
        grades=t.grades,
        records=t.records.model_dump(exclude_none=True) if t.records else None,
        classes=sorted(set(cat.trigger_classes(t))),
    )


def _measure_out(cat: MeasureCatalog, m: Measure) -> MeasureOut:
    return MeasureOut(
        code=m.code,
        name_zh=m.name_zh,
        kind=m.kind,
        category=m.category,
        content_zh=m.content_zh,
        department=m.department,
        matters=m.matters,
        subject_kinds=list(m.subject_kinds) if m.subject_kinds else None,
        bases=_basis_out(cat, m.bases),
        when=[_trigger_out(cat, t) for t in m.when],
        unless=[_trigger_out(cat, t) for t in m.unless],
        unless_bases=_basis_out(cat, m.unless_bases),
        max_months=m.duration.max_months if m.duration else None,
        effective_from=m.effective_from,
        source=m.source,
    )


def list_measures(
    *, kind: str | None = None, matter: str | None = None, today: date | None = None
) -> list[MeasureOut]:
    """The published measure catalog in force (清单), optionally one kind or one matter."""
    cat = get_measures()
    if matter is not None:
        _matter(cat, matter)
    out = []
    for m in cat.in_force(today or today_china()):
        if (kind is None or m.kind == kind) and (matter is None or matter in m.matters):
            out.append(_measure_out(cat, m))
    return out


def get_measure(code: str) -> MeasureOut:
    cat = get_measures()
    m = cat.measures.get(code)
    if m is None:
        raise NotFound(
            f"Unknown measure {code}",
            f"措施清单中没有该措施：{code}",
            code="measures.unknown_measure",
            measure=code,
        )
    return _measure_out(cat, m)


def list_matters() -> list[MatterOut]:
    cat = get_measures()
    return [
        MatterOut(code=m.code, name_zh=m.name_zh, description_zh=m.description_zh, source=m.source)
        for m in cat.matters.values()
    ]


def catalog_version() -> str:
    return get_measures().version


def _matter(cat: MeasureCatalog, code: str) -> MatterRef:
    m = cat.matters.get(code)
    if m is None:
        raise InvalidInput(
            f"Unknown matter {code}",
            f"事项代码 {code} 不存在",
            code="measures.unknown_matter",
            field="matter",
            value=code,
            allowed=sorted(cat.matters),
        )
    return MatterRef(code=m.code, name_zh=m.name_zh)


# ============================================================================================
# Checks


_SINCE_KEYS = (
    "since",
    "starts_on",
    "entered_on",
    "listed_on",
    "decided_on",
    "decision_date",
    "published_on",
    "start",
    "started_on",
)
_UNTIL_KEYS = ("until", "ends_on", "end", "end_on", "expires_on", "valid_until", "restricted_until")
_CODE_KEYS = ("list_type", "list", "type", "code")


def list_entries(value: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(memberships, liabilities) of a state row by list code, as the lists domain keeps them:
    ``[{"list_type": "blacklist", "starts_on": ..., "ends_on": ...}, {"liability":
    "serious_illegal_enterprise", "for_subject_id": 12, "role": ..., "restricted_until": ...}]``
    (plain ``["blacklist"]`` and ``{"blacklist": {...}}`` are read too)."""
    lists: dict[str, dict[str, Any]] = {}
    liable: dict[str, dict[str, Any]] = {}
    entries: Iterable[Any]
    if isinstance(value, dict):
        entries = [{"code": k, **(v if isinstance(v, dict) else {})} for k, v in value.items()]
    elif isinstance(value, list):
        entries = value
    else:
        return lists, liable
    for entry in entries:
        if isinstance(entry, str):
            lists.setdefault(entry, {})
        elif isinstance(entry, dict):
            if isinstance(entry.get("liability"), str):
                liable.setdefault(entry["liability"], {k: v for k, v in entry.items() if k != "liability"})
                continue
            code = next((entry[k] for k in _CODE_KEYS if isinstance(entry.get(k), str)), None)
            if code:
                lists.setdefault(code, {k: v for k, v in entry.items() if k != "code"})
    return lists, liable


def _first_date(entry: dict[str, Any], keys: Sequence[str]) -> date | None:
    for k in keys:
        if entry.get(k):
            d = as_date(entry[k])
            if d is not None:
                return d
    return None


@dataclass
class _Facts:
    """What one check reads: the state row and the subject's matching in-force records."""

    subject: subjects_service.SubjectBrief
    state: creditstate_service.CheckState | None
    lists: dict[str, dict[str, Any]]
    liabilities: dict[str, dict[str, Any]]
    records: list[records_service.EvaluationRecord]


def _item_categories() -> dict[str, tuple[str, str]]:
    """item code → (category, Chinese name), from the catalog in force (cached per catalog)."""
    catalog = catalog_service.get_catalog()
    hit = _ITEMS.get(id(catalog))
    if hit is None:
        _ITEMS.clear()
        hit = _ITEMS[id(catalog)] = {i.code: (i.category, i.name_zh) for i in catalog.items()}
    return hit


_ITEMS: dict[int, dict[str, tuple[str, str]]] = {}


def _record_items_needed(
    cat: MeasureCatalog, measures: Sequence[Measure], state: creditstate_service.CheckState | None
) -> set[str]:
    """Items whose records some candidate trigger names AND the state row's counts say exist:
    only then are the records read (the counts are the state row's; nothing is recomputed)."""
    if state is None or state.records_in_force == 0:
        return set()
    items = _item_categories()
    needed: set[str] = set()
    for m in measures:
        for t in [*m.when, *m.unless]:
            if not t.records:
                continue
            for item in t.records.items:
                if item not in items:
                    continue
                category = items[item][0]
                severities = t.records.severity
                if severities:
                    if any(state.counts.get(f"{category}:{s}", 0) for s in severities):
                        needed.add(item)
                elif state.counts.get(category, 0):
                    needed.add(item)
    return needed


# Reads a subject's in-force records of some items: (items, subject ids) → records.
_RecordReader = Callable[[list[str], list[int]], Iterable[records_service.EvaluationRecord]]


def _session_records(session: Session) -> _RecordReader:
    def read(items: list[str], subject_ids: list[int]) -> Iterable[records_service.EvaluationRecord]:
        return records_service.evaluation_records(
            session, items=items, facts={i: ["document_number"] for i in items}, subject_ids=subject_ids
        )

    return read


def _gather(
    cat: MeasureCatalog,
    subjects: Sequence[subjects_service.SubjectBrief],
    measures: Sequence[Measure],
    states: dict[int, creditstate_service.CheckState],
    read_records: _RecordReader,
) -> dict[int, _Facts]:
    """Each subject's facts: its state row and, only where the row's counts say a record
    condition can hold, the records it points to."""
    by_items: dict[frozenset[str], list[int]] = defaultdict(list)
    for s in subjects:
        needed = _record_items_needed(cat, measures, states.get(s.id))
        if needed:
            by_items[frozenset(needed)].append(s.id)
    records: dict[int, list[records_service.EvaluationRecord]] = defaultdict(list)
    for items, sids in by_items.items():
        for r in read_records(sorted(items), sids):
            records[r.subject_id].append(r)
    out: dict[int, _Facts] = {}
    for s in subjects:
        st = states.get(s.id)
        lists, liable = list_entries(st.lists) if st else ({}, {})
        out[s.id] = _Facts(s, st, lists, liable, records.get(s.id, []))
    return out


def _capped(m: Measure, start: date | None, end: date | None) -> date | None:
    """The end of a reason, shortened by the measure's duration cap (if any)."""
    if m.duration is None or start is None:
        return end
    cap = add_months(start, m.duration.max_months) - timedelta(days=1)
    return cap if end is None or cap < end else end


def _trigger_reasons(
    cat: MeasureCatalog, m: Measure, t: Trigger, facts: _Facts, today: date
) -> list[tuple[dict[str, Any], date | None]]:
    """(reason, its end) for every fact that meets the trigger; empty when none does."""
    out: list[tuple[dict[str, Any], date | None]] = []
    if t.lists or t.liabilities:
        liability = bool(t.liabilities)
        for code in t.liabilities or t.lists or []:
            entry = (facts.liabilities if liability else facts.lists).get(code)
            if entry is None:
                continue
            since = _first_date(entry, _SINCE_KEYS)
            until = _capped(m, since, _first_date(entry, _UNTIL_KEYS))
            if until is not None and until < today:
                continue
            reason = {
                "type": "liability" if liability else "list",
                "list": code,
                "class": cat.list_classes[code],
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
            }
            for key in (
                "procedure_id",
                "decision_document",
                "document_number",
                "department_code",
                "status",
                "for_subject_id",
                "role",
            ):
                if entry.get(key) is not None:
                    reason[key] = entry[key]
            out.append((reason, until))
    elif t.grades:
        st = facts.state
        if st is not None and st.grade in t.grades:
            out.append(
                (
                    {
                        "type": "grade",
                        "grade": st.grade,
                        "class": cat.grade_classes[st.grade],
                        "score": str(st.score) if st.score is not None else None,
                        "model": f"{st.model_code}@{st.model_version}" if st.model_code else None,
                        "evaluated_at": _ts(st.evaluated_at) if st.evaluated_at else None,
                    },
                    None,
                )
            )
    elif t.records:
        items = set(t.records.items)
        severities = set(t.records.severity or [])
        names = _item_categories()
        for r in facts.records:
            if r.item_code not in items or (severities and r.severity not in severities):
                continue
            until = _capped(m, r.decision_date, r.publicity_end)
            if until is not None and until < today:
                continue
            item_name = names[r.item_code][1] if r.item_code in names else r.item_code
            out.append(
                (
                    {
                        "type": "record",
                        "record_id": r.record_id,
                        "item_code": r.item_code,
                        "item_name_zh": item_name,
                        "category": r.category,
                        "severity": r.severity,
                        "class": cat.item_classes.get(r.item_code, r.severity or ""),
                        "document_number": r.facts.get("document_number"),
                        "decision_date": r.decision_date.isoformat() if r.decision_date else None,
                        "publicity_end": r.publicity_end.isoformat() if r.publicity_end else None,
                        "until": until.isoformat() if until else None,
                    },
                    until,
                )
            )
    return out


# The answer's parts that depend only on the catalog, as JSON-ready dicts (built once per catalog:
# the check API builds an answer for every request, and model objects cost more than the check).
_STATIC: dict[str, dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]] = {}


def _static(cat: MeasureCatalog, m: Measure) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the applied measure's fixed fields in ``AppliedMeasure`` order, the exclusion bases)."""
    by_code = _STATIC.get(cat.version)
    if by_code is None:
        _STATIC.clear()
        by_code = _STATIC[cat.version] = {}
    hit = by_code.get(m.code)
    if hit is None:
        fixed = {
            "code": m.code,
            "name_zh": m.name_zh,
            "kind": m.kind,
            "category": m.category,
            "content_zh": m.content_zh,
            "department": m.department,
            "basis": [b.model_dump(mode="json") for b in _basis_out(cat, m.bases)],
        }
        hit = by_code[m.code] = (fixed, [b.model_dump(mode="json") for b in _basis_out(cat, m.unless_bases)])
    return hit


_Answer = dict[str, Any]  # one measure of an answer, JSON-ready (``AppliedMeasure`` / ``ExcludedMeasure``)


def _evaluate(
    cat: MeasureCatalog, measures: Sequence[Measure], facts: _Facts, today: date
) -> tuple[list[_Answer], list[_Answer], list[_Answer]]:
    """(rewards, punishments, excluded) as the JSON of ``AppliedMeasure`` / ``ExcludedMeasure``."""
    rewards: list[_Answer] = []
    punishments: list[_Answer] = []
    excluded: list[_Answer] = []
    for m in measures:
        if m.subject_kinds and facts.subject.kind not in m.subject_kinds:
            continue
        found: list[tuple[dict[str, Any], date | None]] = []
        for t in m.when:
            found += _trigger_reasons(cat, m, t, facts, today)
        if not found:
            continue
        blockers: list[dict[str, Any]] = []
        for t in m.unless:
            blockers += [r for r, _ in _trigger_reasons(cat, m, t, facts, today)]
        reasons = [r for r, _ in found]
        fixed, unless_basis = _static(cat, m)
        if blockers:
            excluded.append(
                {
                    "code": m.code,
                    "name_zh": m.name_zh,
                    "kind": m.kind,
                    "reasons": reasons,
                    "excluded_by": blockers,
                    "basis": unless_basis,
                }
            )
            continue
        ends = [end for _, end in found]
        valid_until = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        applied = {
            **fixed,
            "reasons": reasons,
            "valid_until": valid_until.isoformat() if valid_until else None,
        }
        (rewards if m.kind == "reward" else punishments).append(applied)
    return rewards, punishments, excluded


def _answer_digest(rewards: list[_Answer], punishments: list[_Answer], excluded: list[_Answer]) -> str:
    return answer_digest({"rewards": rewards, "punishments": punishments, "excluded": excluded})


def answer_digest(answer: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``{"rewards", "punishments", "excluded"}`` of an answer as
    received (what ``answer_sha256`` in the receipt covers)."""
    doc = {k: answer.get(k, []) for k in ("rewards", "punishments", "excluded")}
    return hashlib.sha256(ledger.canonical_json(doc).encode("utf-8")).hexdigest()


def _state_ref(facts: _Facts) -> dict[str, Any]:
    """The answer's ``state`` (``StateRef``) from the state row read."""
    st = facts.state
    if st is None:
        return _NO_STATE
    return {
        "grade": st.grade,
        "model": f"{st.model_code}@{st.model_version}" if st.model_code else None,
        "evaluated_at": st.evaluated_at,
        "lists": sorted(facts.lists),
        "records_in_force": st.records_in_force,
        "negative_in_force": st.negative_in_force,
        "serious_in_force": st.serious_in_force,
        "last_event_id": st.last_event_id,
        "updated_at": st.updated_at,
    }


_NO_STATE: dict[str, Any] = StateRef().model_dump()


def _code(subject: subjects_service.SubjectBrief) -> str | None:
    """The identifier shown for a subject: its USCC, else its masked ID number."""
    return subject.uscc or subject.id_number_masked


def _new_id(prefix: str) -> str:
    """``<prefix>_`` and 32 hex digits: the millisecond time (12) then 80 random bits, so ids
    sort by issue time and the check log's primary-key index grows at its end (a random id
    dirtied a random index page per check: most of the log's write volume)."""
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def _build(
    cat: MeasureCatalog,
    measures: Sequence[Measure],
    facts: _Facts,
    matter: MatterRef,
    purpose: str,
    caller: Caller,
    today: date,
    now: datetime,
    due: Due,
    batch_id: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer (the JSON of ``CheckAnswer``; datetimes as objects), with its signed receipt,
    and the check-log row."""
    rewards, punishments, excluded = _evaluate(cat, measures, facts, today)
    check_id = _new_id("chk")
    subject = facts.subject
    st = facts.state
    applied = [*rewards, *punishments]
    feedback_due = due.on if applied else None
    due_basis = due.basis if feedback_due else None
    code = _code(subject)
    receipt: dict[str, Any] = {
        "format": receipts.RECEIPT_FORMAT,
        "id": check_id,
        "issued_at": _ts(now),
        "subject": {"id": subject.id, "code": code, "name": subject.name},
        "matter": matter.code,
        "purpose": purpose,
        "caller": {"label": caller.label, "role": caller.role, "department": caller.department_code},
        "measures": [
            {"code": a["code"], "kind": a["kind"], "valid_until": a["valid_until"]} for a in applied
        ],
        "excluded": [e["code"] for e in excluded],
        "answer_sha256": _answer_digest(rewards, punishments, excluded),
        "data_version": {
            "state_event_id": st.last_event_id if st else 0,
            "state_updated_at": _ts(st.updated_at) if st and st.updated_at else None,
            "grade_model": f"{st.model_code}@{st.model_version}" if st and st.model_code else None,
            "evaluated_at": _ts(st.evaluated_at) if st and st.evaluated_at else None,
            "lists": sorted(facts.lists),
            "records": sorted({r.record_id for r in facts.records}),
        },
        "rule_version": {"ruleset": cat.ruleset, "measures": cat.digest},
        "algorithm": "Ed25519",
    }
    # Signed later, with the other receipts of its commit or batch (``receipts.seal``).
    answer = {
        "check_id": check_id,
        "issued_at": now,
        "subject": {"id": subject.id, "code": code, "name": subject.name, "kind": subject.kind},
        "matter": {"code": matter.code, "name_zh": matter.name_zh},
        "purpose": purpose,
        "rewards": rewards,
        "punishments": punishments,
        "excluded": excluded,
        "state": _state_ref(facts),
        "feedback_due_on": feedback_due.isoformat() if feedback_due else None,
        "feedback_due_basis": due_basis,
        "receipt": receipt,
    }
    row = {
        "id": check_id,
        "issued_at": now,
        "subject_id": subject.id,
        "matter_code": matter.code,
        "purpose": purpose,
        "caller": caller.label[:120],
        "role": caller.role,
        "department_code": caller.department_code,
        "batch_id": batch_id,
        "measure_codes": [a["code"] for a in applied],
        "rewards": len(rewards),
        "punishments": len(punishments),
        "feedback_due_on": feedback_due,
        "feedback_due_basis": due_basis if due_basis == work_calendar.PROVISIONAL else None,
        "receipt": receipt,
        "answer": applied,
    }
    return answer, row


def answer_json(answer: dict[str, Any]) -> bytes:
    """The response body of a check answer from ``_build``: the same JSON as ``CheckAnswer``
    (datetimes ISO 8601, UTC as ``Z``), without building the model (tested equal)."""
    return orjson.dumps(answer, option=orjson.OPT_UTC_Z)


_calendar_cache: dict[str, tuple[float, work_calendar.WorkCalendar]] = {}
# How long a check reuses the working-day calendar (overrides are edited rarely; the overdue
# queue always reads it fresh). An operational knob, not a legal number.
_CALENDAR_TTL = 60.0


def _calendar(key: str, load: Callable[[], work_calendar.WorkCalendar]) -> work_calendar.WorkCalendar:
    hit = _calendar_cache.get(key)
    now = time.monotonic()
    if hit is None or now - hit[0] > _CALENDAR_TTL:
        hit = (now, load())
        _calendar_cache[key] = hit
    return hit[1]


class Due(NamedTuple):
    """A feedback deadline and its calendar basis (notice, or provisional: computed on a year
    without its holiday notice, recomputed by the daily job once the notice is loaded)."""

    on: date | None
    basis: str | None


def _due_on(calendar: Callable[[], work_calendar.WorkCalendar], cat: MeasureCatalog, today: date) -> Due:
    """The feedback deadline of a check made today (remembered per calendar and day)."""
    cal = calendar()
    key = (id(cal), today, cat.feedback.due_working_days)
    hit = _due_memo.get(key)
    if hit is None or hit[0] is not cal:
        due = feedback_due(cal, cat.feedback.due_working_days, today)
        if len(_due_memo) > 64:
            _due_memo.clear()
        hit = _due_memo[key] = (cal, due)
    return hit[1]


def feedback_due(cal: work_calendar.WorkCalendar, working_days: int, day: date) -> Due:
    """The feedback deadline of a check made on ``day`` with its basis."""
    try:
        on = cal.add_working_days(day, working_days)
    except UnknownCalendarYear:  # a year the calendar does not know: never guess a deadline
        return Due(None, None)
    return Due(on, cal.basis(day, on))


_due_memo: dict[tuple[int, date, int], tuple[work_calendar.WorkCalendar, Due]] = {}


def _session_calendar(session: Session) -> Callable[[], work_calendar.WorkCalendar]:
    return lambda: _calendar(str(session.get_bind().engine.url), lambda: work_calendar.load_calendar(session))


def _db_calendar(db: Database) -> Callable[[], work_calendar.WorkCalendar]:
    def load() -> work_calendar.WorkCalendar:
        with db.session() as session:
            return work_calendar.load_calendar(session)

    return lambda: _calendar(str(db.engine.url), load)


@dataclass(frozen=True)
class _Ask:
    """What a check asks, resolved against the catalog in force (before any read)."""

    cat: MeasureCatalog
    matter: MatterRef
    purpose: querylog_service.Purpose
    now: datetime
    today: date
    measures: list[Measure]


def _ask(caller: Caller, matter_code: str, purpose: str | None, now: datetime | None) -> _Ask:
    cat = get_measures()
    matter = _matter(cat, matter_code)
    chosen = _purpose(caller, purpose)
    now = now or datetime.now(UTC)
    today = now.astimezone(_CHINA).date()
    return _Ask(cat, matter, chosen, now, today, _for_matter(cat, matter.code, today))


def _one(
    ask: _Ask,
    caller: Caller,
    facts: _Facts,
    due: Due,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    answer, row = _build(
        ask.cat, ask.measures, facts, ask.matter, ask.purpose.code, caller, ask.today, ask.now, due, None
    )
    return answer, [row], [_query_entry(caller, ask.purpose, answer, facts, ask.now, "check")]


def check_fast(
    db: Database,
    *,
    subject_code: str,
    matter_code: str,
    purpose: str | None,
    caller: Caller,
    now: datetime | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """:func:`check` as the API's hot path runs it: (the answer as JSON-ready data, see
    :func:`answer_json`; its check-log rows; its query-log rows) — the caller writes the rows
    (group commit) before the answer leaves. The subject and its state row are read on the
    store's kept-open reader; a session is opened only when the state row's counts say records
    must be read (or the calendar is reloaded)."""
    ask = _ask(caller, matter_code, purpose, now)
    subject = subjects_service.brief_by_code_fast(db, subject_code)
    if subject is None:
        with db.session() as session:
            subjects_service.get_by_code(session, subject_code)  # raises the same NotFound
        raise AssertionError("unreachable")
    state = creditstate_service.check_state_fast(db, subject.id)
    states = {subject.id: state} if state is not None else {}

    def read_records(items: list[str], sids: list[int]) -> list[records_service.EvaluationRecord]:
        with db.session() as session:
            return list(_session_records(session)(items, sids))

    facts = _gather(ask.cat, [subject], ask.measures, states, read_records)[subject.id]
    return _one(ask, caller, facts, _due_on(_db_calendar(db), ask.cat, ask.today))


def check(
    session: Session,
    *,
    subject_code: str,
    matter_code: str,
    purpose: str | None,
    caller: Caller,
    now: datetime | None = None,
    log: LogWriter | None = None,
) -> CheckAnswer:
    """Which measures apply to the subject for the matter, why, until when, with a signed
    receipt; the check is logged twice: in the check log (``measure_checks``, for feedback) and
    in the query log (who asked, for which purpose, what the answer used; the subject sees it
    under "who viewed my file"). ``purpose`` is a purpose code (or Chinese name) of
    ``purposes.yaml`` allowed for the caller's role (``purpose.required`` / ``purpose.unknown``
    / ``purpose.not_allowed`` otherwise). ``NotFound`` for an unknown subject, ``InvalidInput``
    for an unknown matter. ``log`` writes the log rows (the API's group-commit writer, which
    returns once they are committed); without it they go into the caller's transaction."""
    ask = _ask(caller, matter_code, purpose, now)
    subject = subjects_service.get_brief_by_code(session, subject_code)
    states = creditstate_service.check_states(session, [subject.id])
    facts = _gather(ask.cat, [subject], ask.measures, states, _session_records(session))[subject.id]
    answer, rows, query_rows = _one(
        ask, caller, facts, _due_on(_session_calendar(session), ask.cat, ask.today)
    )
    receipts.seal([answer["receipt"]], now=ask.now)
    _log(session, rows, query_rows, log)
    return CheckAnswer.model_validate(answer)


def _query_entry(
    caller: Caller,
    purpose: querylog_service.Purpose,
    answer: dict[str, Any],
    facts: _Facts,
    now: datetime,
    action: str,
) -> dict[str, Any]:
    """The query-log entry of one check answer: the items are what the answer used, i.e. the
    measures it names (applied and excluded), ``list:<code>`` for each list membership and
    ``record:<id>`` for each record read (the same references as the receipt's data version)."""
    who = caller.who()
    applied = [a["code"] for a in [*answer["rewards"], *answer["punishments"]]]
    items = [*applied, *(e["code"] for e in answer["excluded"])]
    items += [f"list:{code}" for code in facts.lists]
    items += [f"record:{r.record_id}" for r in facts.records]
    return querylog_service.entry_values(
        who,
        purpose,
        facts.subject.id,
        items,
        action=action,
        channel="cli" if who.kind == "cli" else "api",
        result_count=len(applied),
        reference=f"check:{answer['check_id']}",
        at=now,
    )


def _log(
    session: Session,
    rows: list[dict[str, Any]],
    query_rows: list[dict[str, Any]],
    log: LogWriter | None,
) -> None:
    if log is not None:
        log(rows, query_rows)
        return
    for start in range(0, len(rows), 500):
        session.execute(_CHECKS.insert(), rows[start : start + 500])
    querylog_service.append_entries(session, query_rows)


_by_matter: dict[tuple[str, str, date], list[Measure]] = {}


def _for_matter(cat: MeasureCatalog, matter: str, today: date) -> list[Measure]:
    """The measures in force today for a matter (cached per catalog version and day)."""
    key = (cat.version, matter, today)
    found = _by_matter.get(key)
    if found is None:
        if len(_by_matter) > 1000:
            _by_matter.clear()
        found = _by_matter[key] = [m for m in cat.in_force(today) if matter in m.matters]
    return found


def _purpose(caller: Caller, purpose: str | None) -> querylog_service.Purpose:
    """The purpose of a check: a code of ``purposes.yaml`` allowed for the caller's role (the
    query log's purpose limitation; same errors as every other non-public query)."""
    return querylog_service.require_purpose(caller.who(), purpose)


def check_many(
    session: Session,
    *,
    subject_codes: Sequence[str],
    matter_code: str,
    purpose: str | None,
    caller: Caller,
    now: datetime | None = None,
    log: LogWriter | None = None,
) -> BatchAnswer:
    """A batch check (e.g. every bidder of a tender): one answer and one receipt per subject,
    all under one ``batch_id``; unknown codes are reported per row, not as a failure."""
    ask = _ask(caller, matter_code, purpose, now)
    cat, matter, chosen, now, today, measures = (
        ask.cat,
        ask.matter,
        ask.purpose,
        ask.now,
        ask.today,
        ask.measures,
    )
    purpose = chosen.code
    codes = [str(c).strip() for c in subject_codes if str(c or "").strip()]
    if not codes:
        raise InvalidInput(
            "No subject codes given", "未提供主体代码", code="measures.batch_empty", field="subjects"
        )
    if len(codes) > MAX_BATCH:
        raise TooLarge(
            f"At most {MAX_BATCH} subjects per batch check",
            f"批量核查每次最多 {MAX_BATCH} 个主体",
            code="measures.batch_too_large",
            limit=MAX_BATCH,
            given=len(codes),
        )
    found: dict[int, subjects_service.SubjectBrief] = {}
    resolved: list[tuple[str, subjects_service.SubjectBrief | None, dict[str, Any] | None]] = []
    for code in codes:
        try:
            view = subjects_service.get_brief_by_code(session, code)
        except NotFound as exc:
            resolved.append((str(exc.details.get("value", code)), None, exc.to_dict()["error"]))
            continue
        found[view.id] = view
        resolved.append((code if view.uscc else (_code(view) or code), view, None))
    states = creditstate_service.check_states(session, list(found))
    facts = _gather(cat, list(found.values()), measures, states, _session_records(session))
    due = _due_on(_session_calendar(session), cat, today)
    batch_id = _new_id("bat")
    results: list[BatchItem] = []
    rows: list[dict[str, Any]] = []
    query_rows: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for shown, hit, error in resolved:
        if hit is None:
            results.append(BatchItem(subject=shown, ok=False, error=error))
            continue
        results.append(BatchItem(subject=shown, ok=True))  # its answer once the batch is signed
        answer, row = _build(cat, measures, facts[hit.id], matter, purpose, caller, today, now, due, batch_id)
        rows.append(row)
        query_rows.append(_query_entry(caller, chosen, answer, facts[hit.id], now, "check.batch"))
        answers.append(answer)
    # One signature for the whole batch (each receipt still verifies on its own).
    receipts.seal([row["receipt"] for row in rows], now=now)
    checked = iter(answers)
    results = [
        BatchItem(subject=shown, ok=True, check=CheckAnswer.model_validate(next(checked)))
        if hit is not None
        else item
        for (shown, hit, _), item in zip(resolved, results, strict=True)
    ]
    _log(session, rows, query_rows, log)
    ok = [r.check for r in results if r.check is not None]
    return BatchAnswer(
        batch_id=batch_id,
        matter=matter,
        purpose=purpose,
        total=len(results),
        found=len(ok),
        not_found=len(results) - len(ok),
        with_rewards=sum(1 for c in ok if c.rewards),
        with_punishments=sum(1 for c in ok if c.punishments),
        results=results,
    )


def _header_key(value: Any) -> str:
    return str(value or "").strip().replace("（", "(").replace("）", ")").replace(" ", "").lower()


def _codes_from_rows(rows: list[list[Any]]) -> list[str]:
    rows = [r for r in rows if any(str(c or "").strip() for c in r)]
    if not rows:
        return []
    header = [_header_key(c) for c in rows[0]]
    wanted = [_header_key(h) for h in CODE_HEADERS]
    column = next((i for i, h in enumerate(header) if h in wanted), None)
    if column is None:
        column = next((i for i, h in enumerate(header) if any(w in h for w in wanted[:7])), None)
    body = rows[1:]
    if column is None:
        first = str(rows[0][0] or "").strip()
        if len(first) == 18 and first.isalnum():
            column, body = 0, rows  # no header row: codes from the first row on
        else:
            raise InvalidInput(
                "No column of subject codes found (header 统一社会信用代码 or 证件号码)",
                "未找到主体代码列（表头应为“统一社会信用代码”或“证件号码”）",
                code="measures.batch_no_code_column",
                headers=[str(c) for c in rows[0]],
            )
    return [str(r[column]).strip() for r in body if column < len(r) and str(r[column] or "").strip()]


def parse_subject_file(filename: str, content: bytes) -> list[str]:
    """The subject codes of an uploaded CSV (UTF-8 or GBK) or XLSX file: the column headed
    统一社会信用代码 / 证件号码 (or code), else the first column when it holds codes."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise InvalidInput(
                "The XLSX file cannot be read", "XLSX 文件无法读取", code="measures.batch_bad_file"
            ) from exc
        try:
            ws = wb.worksheets[0]
            rows = [
                list(r) for _, r in zip(range(MAX_BATCH + 50), ws.iter_rows(values_only=True), strict=False)
            ]
        finally:
            wb.close()
        return _codes_from_rows(rows)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput("The file is not text", "文件不是文本格式", code="measures.batch_bad_file")
    return _codes_from_rows([list(r) for r in csv.reader(io.StringIO(text))])


# --- receipts --------------------------------------------------------------------------------


def verify_receipt(
    session: Session, receipt: dict[str, Any], answer: dict[str, Any] | None = None
) -> VerifyResult:
    """Whether a receipt is genuine: its Ed25519 signature by a platform key (current or
    retired); if ``answer`` is given, whether its measures hash to ``answer_sha256``; and
    whether the platform's check log holds it."""
    if not isinstance(receipt, dict) or receipt.get("format") not in receipts.FORMATS:
        return VerifyResult(
            valid=False,
            signature_valid=False,
            message="Not a Xinyong check receipt",
            message_zh="不是本平台的核查回执",
        )
    kid = receipts.key_id(receipt)
    ok = receipts.verify(receipt)
    matches = None if answer is None else answer_digest(answer) == receipt.get("answer_sha256")
    check_id = receipt.get("id") if isinstance(receipt.get("id"), str) else None
    logged = None
    if check_id:
        logged = session.get(MeasureCheck, check_id) is not None
    valid = bool(ok) and matches is not False
    if valid:
        msg, msg_zh = "The receipt is genuine", "回执真实有效：签名验证通过"
    elif not ok:
        msg, msg_zh = "The signature does not verify", "签名验证未通过：回执被改动或并非本平台签发"
    else:
        msg, msg_zh = "The answer does not match the receipt", "答复内容与回执不符"
    return VerifyResult(
        valid=valid,
        check_id=check_id,
        key_id=kid if isinstance(kid, str) else None,
        signature_valid=bool(ok),
        answer_matches=matches,
        logged=logged,
        message=msg,
        message_zh=msg_zh,
    )


# --- the check log ---------------------------------------------------------------------------


def _may_see(caller: Caller, department_code: str | None) -> bool:
    return caller.is_staff or (
        caller.department_code is not None and caller.department_code == department_code
    )


def get_check(session: Session, check_id: str, caller: Caller) -> dict[str, Any]:
    """A logged check (its receipt and measures) for the department that made it or staff."""
    row = session.get(MeasureCheck, check_id)
    if row is None or not _may_see(caller, row.department_code):
        raise NotFound(
            "No such check", "未找到该核查记录", code="measures.check_not_found", check_id=check_id
        )
    return {
        "check_id": row.id,
        "issued_at": row.issued_at,
        "subject_id": row.subject_id,
        "matter": row.matter_code,
        "purpose": row.purpose,
        "caller": row.caller,
        "department_code": row.department_code,
        "batch_id": row.batch_id,
        "measures": row.answer,
        "feedback_due_on": row.feedback_due_on,
        "receipt": row.receipt,
    }


def _feedback_counts(session: Session, check_ids: Sequence[str]) -> dict[str, int]:
    if not check_ids:
        return {}
    rows = session.execute(
        select(MeasureFeedback.check_id, func.count())
        .where(MeasureFeedback.check_id.in_(list(check_ids)))
        .group_by(MeasureFeedback.check_id)
    )
    return {cid: n for cid, n in rows if cid is not None}


def _overdue_filter(today: date) -> list[Any]:
    no_feedback = ~select(MeasureFeedback.id).where(MeasureFeedback.check_id == MeasureCheck.id).exists()
    return [MeasureCheck.feedback_due_on.is_not(None), MeasureCheck.feedback_due_on < today, no_feedback]


def list_checks(
    session: Session,
    caller: Caller,
    *,
    overdue_only: bool = False,
    department_code: str | None = None,
    today: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> CheckPage:
    """The check log: a department sees its own checks, staff every department's (or one).
    ``overdue_only``: checks with measures and no feedback after the feedback deadline."""
    today = today or today_china()
    conditions: list[Any] = []
    if caller.is_staff:
        if department_code:
            conditions.append(MeasureCheck.department_code == department_code)
    else:
        conditions.append(MeasureCheck.department_code == caller.department_code)
    if overdue_only:
        conditions += _overdue_filter(today)
    total = session.scalar(select(func.count()).select_from(MeasureCheck).where(*conditions)) or 0
    rows = list(
        session.scalars(
            select(MeasureCheck)
            .where(*conditions)
            .order_by(MeasureCheck.issued_at.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    counts = _feedback_counts(session, [r.id for r in rows])
    items = [
        CheckSummary(
            check_id=r.id,
            issued_at=r.issued_at,
            subject_id=r.subject_id,
            matter=r.matter_code,
            purpose=r.purpose,
            caller=r.caller,
            department_code=r.department_code,
            measures=list(r.measure_codes or []),
            feedback_due_on=r.feedback_due_on,
            feedback_due_basis=r.feedback_due_basis or work_calendar.NOTICE,
            feedback_count=counts.get(r.id, 0),
            overdue=bool(r.feedback_due_on and r.feedback_due_on < today and not counts.get(r.id)),
        )
        for r in rows
    ]
    return CheckPage(total=total, items=items)


# ============================================================================================
# Feedback (奖惩案例反馈)


def _feedback_out(session: Session, row: MeasureFeedback, cat: MeasureCatalog | None = None) -> FeedbackOut:
    cat = cat or get_measures()
    m = cat.measures.get(row.measure_code)
    try:
        view = subjects_service.get_subject(session, row.subject_id)
        code, name = view.code, view.name
    except NotFound:
        code, name = None, None
    return FeedbackOut(
        id=row.id,
        check_id=row.check_id,
        subject_id=row.subject_id,
        subject_code=code,
        subject_name=name,
        measure=row.measure_code,
        measure_name_zh=m.name_zh if m else None,
        matter=row.matter_code,
        action=row.action,
        applied_on=row.applied_on,
        document_number=row.document_number,
        department_code=row.department_code,
        reported_by=row.reported_by,
        note=row.note,
        typical=row.typical,
        typical_text=row.typical_text,
        created_at=row.created_at,
    )


def report_feedback(session: Session, req: FeedbackRequest, caller: Caller) -> FeedbackOut:
    """Record that the caller's department applied (or did not apply) a measure; ledgered."""
    if not caller.department_code:
        raise Forbidden(
            "Only a department can report feedback",
            "只有部门账号可以反馈奖惩实施情况",
            code="measures.no_department",
        )
    cat = get_measures()
    measure = cat.measures.get(req.measure)
    if measure is None:
        raise InvalidInput(
            f"Unknown measure {req.measure}",
            f"措施清单中没有该措施：{req.measure}",
            code="measures.unknown_measure",
            field="measure",
            value=req.measure,
        )
    _matter(cat, req.matter)
    if req.matter not in measure.matters:
        raise InvalidInput(
            f"Measure {measure.code} does not apply to matter {req.matter}",
            f"措施“{measure.name_zh}”不适用于该事项",
            code="measures.matter_mismatch",
            field="matter",
            value=req.matter,
            allowed=measure.matters,
        )
    if req.action not in cat.actions:
        raise InvalidInput(
            f"Unknown action {req.action}",
            f"反馈类型 {req.action} 不存在",
            code="measures.unknown_action",
            field="action",
            allowed=sorted(cat.actions),
        )
    if req.action == "not_applied" and not req.note.strip():
        raise InvalidInput(
            "Say why the measure was not applied",
            "未实施的须说明理由",
            code="measures.reason_required",
            field="note",
        )
    subject = subjects_service.get_by_code(session, req.subject)
    if req.applied_on > today_china():
        raise InvalidInput(
            "The date lies in the future",
            "实施日期不能晚于今天",
            code="measures.future_date",
            field="applied_on",
        )
    if req.check_id is not None:
        chk = session.get(MeasureCheck, req.check_id)
        if chk is None or not _may_see(caller, chk.department_code):
            raise NotFound(
                "No such check", "未找到该核查记录", code="measures.check_not_found", check_id=req.check_id
            )
        if chk.subject_id != subject.id:
            raise InvalidInput(
                "The check was about another subject",
                "该核查回执对应的是其他主体",
                code="measures.check_subject_mismatch",
                field="check_id",
            )
    row = MeasureFeedback(
        check_id=req.check_id,
        subject_id=subject.id,
        measure_code=measure.code,
        matter_code=req.matter,
        action=req.action,
        applied_on=req.applied_on,
        document_number=req.document_number.strip(),
        department_code=caller.department_code,
        reported_by=caller.label[:120],
        note=req.note.strip(),
        typical=False,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This measure was already reported for this subject and document number",
            "该主体、该措施、该文书号的反馈已存在",
            code="measures.feedback_exists",
            document_number=req.document_number,
        ) from None
    ledger.append(
        session,
        "measure.feedback",
        f"measure_feedback:{row.id}",
        {
            "subject_id": subject.id,
            "measure": measure.code,
            "matter": req.matter,
            "action": req.action,
            "applied_on": req.applied_on,
            "document_number": row.document_number,
            "department": caller.department_code,
            "check_id": req.check_id,
            "by": caller.label,
        },
    )
    return _feedback_out(session, row, cat)


def list_feedback(
    session: Session,
    caller: Caller,
    *,
    measure: str | None = None,
    typical: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FeedbackOut]:
    conditions: list[Any] = []
    if not caller.is_staff:
        conditions.append(MeasureFeedback.department_code == caller.department_code)
    if measure:
        conditions.append(MeasureFeedback.measure_code == measure)
    if typical is not None:
        conditions.append(MeasureFeedback.typical.is_(typical))
    cat = get_measures()
    rows = session.scalars(
        select(MeasureFeedback)
        .where(*conditions)
        .order_by(MeasureFeedback.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_feedback_out(session, r, cat) for r in rows]


def mark_typical(session: Session, feedback_id: int, text: str, caller: Caller) -> FeedbackOut:
    """Mark a feedback case as typical (典型案例) with a short text; the reporting department or
    the credit office may do it. Ledgered."""
    row = session.get(MeasureFeedback, feedback_id)
    if row is None or not _may_see(caller, row.department_code):
        raise NotFound(
            "No such feedback", "未找到该反馈", code="measures.feedback_not_found", feedback_id=feedback_id
        )
    text = text.strip()
    if not text:
        raise InvalidInput(
            "The case text is empty", "案例简述不能为空", code="measures.case_text_required", field="text"
        )
    row.typical = True
    row.typical_text = text
    row.typical_marked_by = caller.label[:120]
    row.typical_marked_at = datetime.now(UTC)
    session.flush()
    ledger.append(
        session,
        "measure.typical_case",
        f"measure_feedback:{row.id}",
        {"text": text, "by": caller.label, "measure": row.measure_code, "subject_id": row.subject_id},
    )
    return _feedback_out(session, row)


def typical_cases(session: Session, *, limit: int = 100) -> list[CaseOut]:
    """Typical cases for publication: enterprise names as registered, natural persons'
    names de-identified (个人信息去标识化)."""
    cat = get_measures()
    rows = session.scalars(
        select(MeasureFeedback)
        .where(MeasureFeedback.typical.is_(True))
        .order_by(MeasureFeedback.typical_marked_at.desc())
        .limit(limit)
    )
    out: list[CaseOut] = []
    for r in rows:
        m = cat.measures.get(r.measure_code)
        try:
            view = subjects_service.get_subject(session, r.subject_id)
            name = (
                records_service.public_person_name(view.name) if view.kind == "natural_person" else view.name
            )
        except NotFound:
            name = "—"
        out.append(
            CaseOut(
                id=r.id,
                measure=r.measure_code,
                measure_name_zh=m.name_zh if m else None,
                kind=m.kind if m else None,
                subject_name=name,
                department_code=r.department_code,
                applied_on=r.applied_on,
                document_number=r.document_number,
                text=r.typical_text or "",
            )
        )
    return out


def feedback_stats(session: Session, caller: Caller, *, today: date | None = None) -> FeedbackStats:
    """Per department and measure: checks that returned the measure, feedback reported
    (applied / not applied), typical cases; plus the count of overdue checks. A department sees
    its own rows; staff see all."""
    today = today or today_china()
    cat = get_measures()
    check_cond: list[Any] = [MeasureCheck.feedback_due_on.is_not(None)]
    fb_cond: list[Any] = []
    if not caller.is_staff:
        check_cond.append(MeasureCheck.department_code == caller.department_code)
        fb_cond.append(MeasureFeedback.department_code == caller.department_code)
    per: dict[tuple[str | None, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total_checks = 0
    for dept, codes in session.execute(
        select(MeasureCheck.department_code, MeasureCheck.measure_codes).where(*check_cond)
    ):
        total_checks += 1
        for code in codes or []:
            per[(dept, code)]["checks"] += 1
    rows = session.execute(
        select(
            MeasureFeedback.department_code,
            MeasureFeedback.measure_code,
            MeasureFeedback.action,
            MeasureFeedback.typical,
            func.count(),
        )
        .where(*fb_cond)
        .group_by(
            MeasureFeedback.department_code,
            MeasureFeedback.measure_code,
            MeasureFeedback.action,
            MeasureFeedback.typical,
        )
    )
    total_feedback = 0
    for dept, code, action, typical, n in rows:
        d = per[(dept, code)]
        d["feedback"] += n
        d[action] += n
        if typical:
            d["typical"] += n
        total_feedback += n
    overdue = (
        session.scalar(
            select(func.count()).select_from(MeasureCheck).where(*check_cond, *_overdue_filter(today))
        )
        or 0
    )
    out = []
    for (dept, code), d in sorted(per.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        m = cat.measures.get(code)
        out.append(
            StatRow(
                department_code=dept,
                measure=code,
                measure_name_zh=m.name_zh if m else None,
                kind=m.kind if m else None,
                checks_with_measure=d["checks"],
                feedback=d["feedback"],
                applied=d["applied"],
                not_applied=d["not_applied"],
                typical=d["typical"],
            )
        )
    return FeedbackStats(
        rows=out,
        total_checks_with_measures=total_checks,
        total_feedback=total_feedback,
        overdue_checks=overdue,
    )
