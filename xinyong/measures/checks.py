"""Checks (查询式 / 嵌入式) with signed receipts and batch checks, and the feedback deadline of a
check: the check API (``check_fast`` is its hot path).

A check reads the subject's credit state row (grade, list memberships, counts of in-force
records) through ``records.service.check_states`` and, only when the counts say a record
condition can hold, the in-force records it points to; it never recomputes a grade or a list
membership. The measure conditions (data, ``rulesets/<name>/measures/``) are applied to those
facts (``conditions.py``); the answer, the reasons and the rule and data versions go into a
receipt signed with the ledger's Ed25519 key, and the check is logged in ``measure_checks``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import Table
from sqlalchemy.orm import Session

from xinyong.core import calendar as work_calendar
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.db import Database
from xinyong.core.errors import InvalidInput, NotFound, TooLarge, UnknownCalendarYear
from xinyong.creditstate import service as creditstate_service
from xinyong.ledger import service as ledger
from xinyong.measures import receipts
from xinyong.measures.caller import Caller
from xinyong.measures.catalog import Measure, MeasureCatalog, get_measures
from xinyong.measures.catalog_reads import _matter
from xinyong.measures.conditions import _Answer, _evaluate, _Facts, _gather, _session_records, _ts
from xinyong.measures.models import MeasureCheck
from xinyong.measures.schemas import BatchAnswer, BatchItem, CheckAnswer, MatterRef, StateRef
from xinyong.querylog import service as querylog_service
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

_CHECKS = cast(Table, MeasureCheck.__table__)
# Operational limits (not legal numbers): subjects per batch check, bytes of an upload.
MAX_BATCH = 2000


# Writes one check's (or one batch's) log rows: the check-log rows and their query-log entries.
LogWriter = Callable[[list[dict[str, Any]], list[dict[str, Any]]], None]


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
    # A naive time (SQLite keeps UTC without an offset) is written as UTC too: RFC 3339 always.
    return orjson.dumps(answer, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)


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
