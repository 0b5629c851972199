"""``xinyong ledger verify``: the credit states against the facts and the ledger (derived state).

* the in-force counts (``counts``, ``records_in_force``, ``negative_in_force``,
  ``serious_in_force``) are recomputed from the records with the consumer's own derivation
  (``consumer.derive_counts``) and compared; a subject with in-force records and no state row
  is named too. Skipped, with a warning, while the consumer has events still to consume.
* the grade is compared with the last ``evaluation.grade`` entry of the subject (the evaluation
  step ledgers every grade change it writes).

A finding names its rebuild command: the state is derived, so rebuilding it is safe.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core.events import Event, EventCursor
from xinyong.creditstate.consumer import CONSUMER, derive_counts
from xinyong.creditstate.models import CreditState
from xinyong.ledger.integrity import CheckReport, Finding, Verifier, entries_of_kind, entries_since, show
from xinyong.records import service as records_service

_CHUNK = 1000
REBUILD_COUNTS = "xinyong creditstate rebuild"
REBUILD_GRADES = "xinyong evaluate run"
_COUNT_COLUMNS = ("counts", "records_in_force", "negative_in_force", "serious_in_force")


def _caught_up(session: Session) -> tuple[bool, int]:
    last = session.scalar(select(func.max(Event.id))) or 0
    cursor = session.get(EventCursor, CONSUMER)
    done = cursor.last_event_id if cursor else 0
    return done >= last, int(last - done)


def _show_counts(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "{}"
    return str(value)


def verify_credit_states(session: Session, report: CheckReport) -> None:
    grades: dict[int, tuple[int, str | None]] = {}
    for e in entries_of_kind(session, "evaluation.grade"):
        sid = e.payload.get("subject_id")
        if isinstance(sid, int):
            grades[sid] = (e.seq, e.payload.get("to_grade"))

    caught_up, behind = _caught_up(session)
    if not caught_up:
        report.warn(
            f"the credit-state consumer has {behind} event(s) to consume: counts not checked "
            "(run `xinyong tick`, then verify again)",
            f"信用状态尚有 {behind} 个事件未处理：未核对计数（先运行 xinyong tick 再校验）",
        )
    catalog = catalog_service.get_catalog()
    with_rows: set[int] = set()
    if report.since_seq:
        # Incremental: the subjects the entries since the last verified checkpoint name.
        named: set[Any] = set()
        for e in entries_since(
            session, report.since_seq, "record.version", "record.reassigned", "evaluation.grade"
        ):
            named.add(e.payload.get("subject_id"))
            named.add(e.payload.get("from_subject_id"))
            named.add((e.payload.get("state") or {}).get("subject_id"))
        named |= _record_subjects(session, report.since_seq)
        ids = sorted(s for s in named if isinstance(s, int))
        grades = {sid: g for sid, g in grades.items() if sid in set(ids)}
    else:
        ids = list(session.scalars(select(CreditState.subject_id).order_by(CreditState.subject_id)))
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        derived = derive_counts(session, catalog, part) if caught_up else {}
        rows = session.execute(
            select(
                CreditState.subject_id,
                CreditState.counts,
                CreditState.records_in_force,
                CreditState.negative_in_force,
                CreditState.serious_in_force,
                CreditState.grade,
            ).where(CreditState.subject_id.in_(part))
        )
        for row in rows:
            report.rows += 1
            sid = row.subject_id
            with_rows.add(sid)
            key = f"subject_id={sid}"
            if caught_up:
                want = derived.get(sid, ({}, 0, 0, 0))
                found = (
                    dict(row.counts or {}),
                    row.records_in_force,
                    row.negative_in_force,
                    row.serious_in_force,
                )
                for name, w, f in zip(_COUNT_COLUMNS, want, found, strict=True):
                    if w != f:
                        report.add(
                            Finding(
                                "creditstate.counts",
                                "credit_states",
                                key,
                                name,
                                _show_counts(w),
                                _show_counts(f),
                                f"credit_states.{name} differs from the count of the subject's in-force records",
                                f"credit_states.{name} 与该主体有效记录的计数不符",
                                REBUILD_COUNTS,
                            )
                        )
            seq, grade = grades.get(sid, (None, None))
            if row.grade != grade:
                report.add(
                    Finding(
                        "creditstate.grade",
                        "credit_states",
                        key,
                        "grade",
                        show(grade),
                        show(row.grade),
                        "the grade is not the one the evaluation step last ledgered"
                        + (f" (entry {seq})" if seq else " (no grade entry)"),
                        "信用等级与评价步骤最后记入账本的等级不符"
                        + (f"（第 {seq} 号条目）" if seq else "（无等级条目）"),
                        REBUILD_GRADES,
                        seq,
                    )
                )
    if caught_up:
        everyone = ids if report.since_seq else records_service.subject_ids_with_records(session)
        for start_ids in _chunks(everyone):
            derived = derive_counts(session, catalog, start_ids)
            for sid in sorted(set(derived) - with_rows):
                report.add(
                    Finding(
                        "creditstate.counts",
                        "credit_states",
                        f"subject_id={sid}",
                        None,
                        "present",
                        None,
                        "a subject with in-force records has no credit state row",
                        "该主体有有效记录却没有信用状态行",
                        REBUILD_COUNTS,
                    )
                )
    for sid in sorted(set(grades) - with_rows):
        if grades[sid][1] is not None:
            report.add(
                Finding(
                    "creditstate.grade",
                    "credit_states",
                    f"subject_id={sid}",
                    "grade",
                    show(grades[sid][1]),
                    None,
                    "the ledger holds a grade for a subject with no credit state row",
                    "账本记载了等级，但该主体没有信用状态行",
                    REBUILD_GRADES,
                    grades[sid][0],
                )
            )


def _record_subjects(session: Session, since_seq: int) -> set[Any]:
    """Subjects of records changed since: a withdrawal's or publicity end's entry carries only
    the status, so their subject comes from the record row."""
    ids = {
        e.payload.get("record_id")
        for e in entries_since(session, since_seq, "record.version")
        if "subject_id" not in (e.payload.get("state") or {})
    }
    rids = [r for r in ids if isinstance(r, int)]
    return set(records_service.subjects_of_records(session, rids).values()) if rids else set()


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


VERIFIER = Verifier("creditstate", "信用状态", verify_credit_states, order=50)
