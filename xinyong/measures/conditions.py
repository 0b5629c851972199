"""The measure conditions applied to one subject's facts.

A check's facts are the subject's credit state row (grade, list memberships and liabilities,
counts of in-force records) and, only when those counts say a record condition can hold, the
in-force records they point to (:func:`_gather`); nothing is recomputed. Each measure's ``when`` /
``unless`` triggers turn facts into reasons with their ends (capped by the measure's duration), and
:func:`_evaluate` sorts the measures into rewards, punishments and excluded, as JSON-ready dicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import add_months
from xinyong.core.dates import as_date
from xinyong.creditstate import service as creditstate_service
from xinyong.measures.catalog import Measure, MeasureCatalog, Trigger
from xinyong.measures.catalog_reads import _basis_out
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service


def _ts(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), several times cheaper (hot path).
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


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
        tied = t.records.lasts_as_list
        entry = facts.lists.get(tied) if tied else None
        if tied and entry is None:
            return out  # the list entry has ended (or was removed): so has the punishment
        for r in facts.records:
            if r.item_code not in items or (severities and r.severity not in severities):
                continue
            ends = _first_date(entry, _UNTIL_KEYS) if entry is not None else r.publicity_end
            until = _capped(m, r.decision_date, ends)
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
