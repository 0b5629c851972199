"""The credit state row: its reads and its only writers.

One row per subject (``models.CreditState``). Its columns have one writer each: the in-force
counts the consumer (``consumer.py``); the grade columns ``set_evaluations``, called by the
evaluation step; the list memberships ``set_list_memberships``, called by the lists consumer.
No other module writes the table. Readers (the check API, the portal, lists, evaluation) read it
through the functions here, never recompute it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from xinyong.core.db import Database
from xinyong.core.rawsql import RawQuery
from xinyong.creditstate.models import CreditState
from xinyong.creditstate.schemas import CreditSummary

# Rows handled per statement batch: bounds memory and the size of IN (...) lists.
_CHUNK = 1000


# --- the whole row ----------------------------------------------------------------------------


def subject_summary(session: Session, subject_id: int) -> CreditSummary:
    """The subject's credit state row as the consumer keeps it (never recomputed here). A
    subject no event has named yet has an empty state."""
    row = session.get(CreditState, subject_id)
    if row is None:
        return CreditSummary(
            subject_id=subject_id,
            counts={},
            records_in_force=0,
            negative_in_force=0,
            serious_in_force=0,
            last_event_id=0,
            last_change_at=None,
            updated_at=None,
        )
    return CreditSummary(
        subject_id=row.subject_id,
        counts=dict(row.counts or {}),
        records_in_force=row.records_in_force,
        negative_in_force=row.negative_in_force,
        serious_in_force=row.serious_in_force,
        last_event_id=row.last_event_id,
        last_change_at=row.last_change_at,
        updated_at=row.updated_at,
        grade=row.grade,
        score=row.score,
        model_code=row.model_code,
        model_version=row.model_version,
        evaluated_at=row.evaluated_at,
    )


# --- list memberships (written for the lists domain) -----------------------------------------


def list_memberships(session: Session, subject_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """The list type codes each subject's credit state shows it on (kept for the lists domain in
    ``credit_states.lists``); empty while that column does not exist."""
    column = getattr(CreditState, "lists", None)
    if column is None:
        return {}
    stmt = select(CreditState.subject_id, column).where(column.is_not(None))
    out: dict[int, list[str]] = {}
    chunks: list[Sequence[int] | None] = [None]
    if subject_ids is not None:
        ids = sorted(set(subject_ids))
        chunks = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for chunk in chunks:
        part = stmt if chunk is None else stmt.where(CreditState.subject_id.in_(list(chunk)))
        for sid, value in session.execute(part):
            codes = _list_codes(value)
            if codes:
                out[sid] = codes
    return out


def _list_codes(value: Any) -> list[str]:
    """List type codes from the memberships JSON, whichever of the plain shapes it takes:
    ``["blacklist"]``, ``{"blacklist": {...}}`` or ``[{"list_type": "blacklist", ...}]``."""
    keys = ("list_type", "list_code", "list", "type", "code")
    codes: list[str] = []
    if isinstance(value, dict):
        items: Iterable[Any] = [{"code": k, **(v if isinstance(v, dict) else {})} for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        return []
    for entry in items:
        if isinstance(entry, str):
            codes.append(entry)
        elif isinstance(entry, dict):
            code = next((entry[k] for k in keys if isinstance(entry.get(k), str)), None)
            if code:
                codes.append(code)
    return sorted(set(codes))


def list_membership_entries(session: Session, subject_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The full list-membership entries of the credit state rows of ``subject_ids`` (kept by the
    lists consumer; ``xinyong.lists.service`` documents their shape). Subjects on no list and
    liable for no listing are left out."""
    out: dict[int, list[dict[str, Any]]] = {}
    ids = sorted(set(subject_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(CreditState.subject_id, CreditState.lists).where(
                CreditState.subject_id.in_(ids[start : start + _CHUNK])
            )
        )
        out.update({sid: list(value) for sid, value in rows if value})
    return out


def set_list_memberships(session: Session, memberships: dict[int, list[dict[str, Any]]]) -> None:
    """Write the ``lists`` column of the credit state rows (creating rows no consumer has made
    yet); an empty list clears it. Called only by the lists consumer, in its transaction."""
    items = sorted(memberships.items())
    now = datetime.now(UTC)
    for start in range(0, len(items), _CHUNK):
        part = items[start : start + _CHUNK]
        ids = [sid for sid, _ in part]
        existing = set(session.scalars(select(CreditState.subject_id).where(CreditState.subject_id.in_(ids))))
        new = [
            {
                "subject_id": sid,
                "lists": entries,
                "counts": {},
                "records_in_force": 0,
                "negative_in_force": 0,
                "serious_in_force": 0,
                "last_event_id": 0,
                "updated_at": now,
            }
            for sid, entries in part
            if sid not in existing
        ]
        old = [
            {"subject_id": sid, "lists": entries, "updated_at": now}
            for sid, entries in part
            if sid in existing
        ]
        if new:
            session.execute(insert(CreditState), new)
        if old:
            _update_rows(session, old, ids)


def _update_rows(session: Session, rows: list[dict[str, Any]], ids: Iterable[int]) -> None:
    """A bulk UPDATE of state rows; the session's loaded copies of ``ids`` are expired, so a
    later read in the same session sees the new values."""
    session.execute(update(CreditState), rows)
    for sid in ids:
        obj = session.identity_map.get(Session.identity_key(CreditState, sid))
        if obj is not None:
            session.expire(obj)


# --- grades (written for the evaluation step) -------------------------------------------------


@dataclass(frozen=True)
class EvaluationState:
    subject_id: int
    grade: str
    score: Decimal
    model_code: str
    model_version: str
    evaluated_at: datetime


def evaluation_states(
    session: Session, subject_ids: Sequence[int]
) -> dict[int, tuple[str | None, Decimal | None]]:
    """Current (grade, score) of the credit state rows of ``subject_ids`` that have one."""
    out: dict[int, tuple[str | None, Decimal | None]] = {}
    ids = sorted(set(subject_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(CreditState.subject_id, CreditState.grade, CreditState.score).where(
                CreditState.subject_id.in_(ids[start : start + _CHUNK])
            )
        )
        out.update({sid: (grade, score) for sid, grade, score in rows})
    return out


def all_evaluation_states(session: Session) -> dict[int, tuple[str | None, Decimal | None]]:
    """(grade, score) of every credit state row that has a grade (batch runs compare against it)."""
    rows = session.execute(
        select(CreditState.subject_id, CreditState.grade, CreditState.score).where(
            CreditState.grade.is_not(None)
        )
    )
    return {sid: (grade, score) for sid, grade, score in rows}


def set_evaluations(session: Session, states: Sequence[EvaluationState]) -> None:
    """Write the grade columns of the credit state rows (creating rows a consumer has not made
    yet). Called only by the evaluation step, in its transaction."""
    for start in range(0, len(states), _CHUNK):
        part = states[start : start + _CHUNK]
        ids = [s.subject_id for s in part]
        existing = set(session.scalars(select(CreditState.subject_id).where(CreditState.subject_id.in_(ids))))
        values = [
            {
                "subject_id": s.subject_id,
                "grade": s.grade,
                "score": s.score,
                "model_code": s.model_code,
                "model_version": s.model_version,
                "evaluated_at": s.evaluated_at,
                "updated_at": s.evaluated_at,
            }
            for s in part
        ]
        new = [v for v in values if v["subject_id"] not in existing]
        old = [v for v in values if v["subject_id"] in existing]
        if new:
            session.execute(
                insert(CreditState),
                [
                    {
                        **v,
                        "counts": {},
                        "records_in_force": 0,
                        "negative_in_force": 0,
                        "serious_in_force": 0,
                        "last_event_id": 0,
                    }
                    for v in new
                ],
            )
        if old:
            _update_rows(session, old, ids)


# --- the state row as the check API reads it (measures domain) -------------------------------


@dataclass(frozen=True)
class CheckState:
    """One credit state row as the measures check reads it: never recomputed there."""

    subject_id: int
    counts: dict[str, int]
    records_in_force: int
    negative_in_force: int
    serious_in_force: int
    grade: str | None
    score: Decimal | None
    model_code: str | None
    model_version: str | None
    evaluated_at: datetime | None
    # The list memberships exactly as the lists domain keeps them (``set_list_memberships``).
    lists: Any
    last_event_id: int
    updated_at: datetime | None


_CHECK_STATE_SQL: Any = None


def _check_state_sql() -> Any:
    """The statement, built once (the check API reads a state row per request)."""
    global _CHECK_STATE_SQL
    if _CHECK_STATE_SQL is None:
        cols = [
            CreditState.subject_id,
            CreditState.counts,
            CreditState.records_in_force,
            CreditState.negative_in_force,
            CreditState.serious_in_force,
            CreditState.grade,
            CreditState.score,
            CreditState.model_code,
            CreditState.model_version,
            CreditState.evaluated_at,
            CreditState.last_event_id,
            CreditState.updated_at,
            CreditState.lists,
        ]
        _CHECK_STATE_SQL = select(*cols).where(CreditState.subject_id.in_(bindparam("ids", expanding=True)))
    return _CHECK_STATE_SQL


_CHECK_STATE_RAW: Any = None


def check_state_fast(db: Database, subject_id: int) -> CheckState | None:
    """As ``check_states`` for one subject, on the store's kept-open reader
    (``xinyong.core.rawsql``): the check API's read of the state row."""
    global _CHECK_STATE_RAW
    if _CHECK_STATE_RAW is None:
        stmt = _check_state_sql()
        _CHECK_STATE_RAW = RawQuery(
            select(*stmt.selected_columns).where(CreditState.subject_id == bindparam("id"))
        )
    with db.reader.connection() as raw:
        rows = _CHECK_STATE_RAW.rows(raw, {"id": subject_id})
    if not rows:
        return None
    r = rows[0]
    return CheckState(
        subject_id=r[0],
        counts=dict(r[1] or {}),
        records_in_force=r[2],
        negative_in_force=r[3],
        serious_in_force=r[4],
        grade=r[5],
        score=r[6],
        model_code=r[7],
        model_version=r[8],
        evaluated_at=r[9],
        last_event_id=r[10],
        updated_at=r[11],
        lists=r[12],
    )


def check_states(session: Session, subject_ids: Sequence[int]) -> dict[int, CheckState]:
    """The state rows of ``subject_ids`` that exist, in one query per chunk."""
    out: dict[int, CheckState] = {}
    ids = sorted(set(subject_ids))
    stmt = _check_state_sql()
    conn = session.connection()  # Core, not the ORM's execution path: plain columns, hot path
    for start in range(0, len(ids), _CHUNK):
        for row in conn.execute(stmt, {"ids": ids[start : start + _CHUNK]}):
            out[row.subject_id] = CheckState(
                subject_id=row.subject_id,
                counts=dict(row.counts or {}),
                records_in_force=row.records_in_force,
                negative_in_force=row.negative_in_force,
                serious_in_force=row.serious_in_force,
                grade=row.grade,
                score=row.score,
                model_code=row.model_code,
                model_version=row.model_version,
                evaluated_at=row.evaluated_at,
                lists=row.lists,
                last_event_id=row.last_event_id,
                updated_at=row.updated_at,
            )
    return out
