"""The credit state consumer: re-derived from the records table, idempotent, replayable."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.records import helpers as h
from xinyong.core import events
from xinyong.core.db import Database
from xinyong.core.events import EventCursor
from xinyong.creditstate import consumer
from xinyong.creditstate import service as creditstate
from xinyong.records import amend as records_amend
from xinyong.records import service as records
from xinyong.records import store as records_store

TYPES = [["警告"], ["暂扣许可证件"], ["吊销许可证件"], ["罚款"], ["通报批评", "责令关闭"]]


def _recount(session: Session, record_ids: set[int], subject_id: int) -> dict[str, object]:
    """What the state must say, counted record by record through the internal view."""
    counts: Counter[str] = Counter()
    negative = serious = 0
    for rid in record_ids:
        rec = records.get_record(session, rid)
        if rec.subject_id != subject_id or rec.status != "in_force":
            continue
        counts[rec.category] += 1
        if rec.severity:
            counts[f"{rec.category}:{rec.severity}"] += 1
        negative += rec.category == "行政处罚"
        serious += rec.severity == "serious"
    return {
        "counts": dict(counts),
        "records_in_force": sum(v for k, v in counts.items() if ":" not in k),
        "negative_in_force": negative,
        "serious_in_force": serious,
    }


def _state(session: Session, subject_id: int) -> dict[str, object]:
    s = creditstate.subject_summary(session, subject_id)
    return {
        "counts": s.counts,
        "records_in_force": s.records_in_force,
        "negative_in_force": s.negative_in_force,
        "serious_in_force": s.serious_in_force,
    }


def test_state_equals_a_recount_after_a_random_mix_of_operations(db: Database) -> None:
    rng = random.Random(20260401)
    with db.session() as s:
        pid = h.provider(s)
        subjects = [h.enterprise(s, n) for n in range(1, 5)]
    docs: dict[str, tuple[str, int]] = {}  # document number -> (item, record id)
    day = date(2026, 4, 1)
    done: Counter[str] = Counter()
    for step in range(60):
        with db.session() as s:
            op = rng.random()
            sid = rng.choice(subjects)
            penalties = [d for d, (item, _) in docs.items() if item == h.PENALTY]
            if op < 0.45 or not penalties:
                doc = f"罚〔2026〕{step}号"
                row = h.penalty_row(doc, types=rng.choice(TYPES), decision=day)
                docs[doc] = (h.PENALTY, h.store(s, sid, pid, row, received_on=day).record_id)
                done["create"] += 1
            elif op < 0.6:
                # A correction, possibly naming another subject (the record moves).
                row = h.penalty_row(
                    rng.choice(penalties), types=rng.choice(TYPES), decision=day, fine=str(step)
                )
                done[h.store(s, sid, pid, row, received_on=day).outcome] += 1
            elif op < 0.7:
                doc = rng.choice(list(docs))
                out = h.store(
                    s,
                    sid,
                    pid,
                    {"document_number": doc},
                    item_code=docs[doc][0],
                    withdraw=True,
                    received_on=day,
                )
                done[out.outcome] += 1
            elif op < 0.8:
                doc = f"许〔2026〕{step}号"
                row = h.licence_row(doc, name="台州市测试有限公司", decision=day)
                docs[doc] = (
                    h.LICENCE,
                    h.store(s, sid, pid, row, item_code=h.LICENCE, received_on=day).record_id,
                )
            elif op < 0.9:
                day += timedelta(days=rng.randint(20, 200))
                done["ended"] += records_store.tick(s, day)
            else:
                a, b = rng.sample(subjects, 2)
                done["moved"] += records_amend.reassign_subject(s, a, b)
        if rng.random() < 0.3:
            with db.session() as s:
                consumer.process_events(s)
    assert all(done[k] for k in ("create", "corrected", "withdrawn", "ended", "moved")), done
    with db.session() as s:
        consumer.process_events(s)
    with db.session() as s:
        ids = {rid for _, rid in docs.values()}
        for sid in subjects:
            assert _state(s, sid) == _recount(s, ids, sid), sid
        assert sum(creditstate.subject_summary(s, sid).records_in_force for sid in subjects) == sum(
            1 for rid in ids if records.get_record(s, rid).status == "in_force"
        )

    # Replaying every event from the start gives the same state.
    with db.session() as s:
        before = {sid: _state(s, sid) for sid in subjects}
        s.execute(update(EventCursor).where(EventCursor.consumer == "credit_state").values(last_event_id=0))
    with db.session() as s:
        # One batch of 7 per transaction, until none is left (how the workers catch up).
        assert events.drain(s, lambda s: consumer.process_events(s, limit=7)) > 7
    with db.session() as s:
        assert {sid: _state(s, sid) for sid in subjects} == before
        assert consumer.process_events(s) == 0


def test_state_row_tracks_the_last_event(session: Session) -> None:
    pid = h.provider(session)
    sid = h.enterprise(session, 1)
    assert creditstate.subject_summary(session, sid).records_in_force == 0
    h.store(session, sid, pid, h.penalty_row("罚1", types=["吊销许可证件"]))
    h.store(session, sid, pid, h.licence_row("许1", name="台州市测试1号有限公司"), item_code=h.LICENCE)
    # Not recomputed on read: nothing changes until the consumer runs.
    assert creditstate.subject_summary(session, sid).records_in_force == 0
    assert consumer.process_events(session) == 2
    state = creditstate.subject_summary(session, sid)
    assert state.counts == {"行政处罚": 1, "行政处罚:serious": 1, "行政许可": 1}
    assert (state.records_in_force, state.negative_in_force, state.serious_in_force) == (2, 1, 1)
    assert state.last_event_id == max(e.id for e in h.events(session))
    assert state.last_change_at is not None
    cursor = session.scalars(select(EventCursor).where(EventCursor.consumer == "credit_state")).one()
    assert cursor.last_event_id == state.last_event_id


def test_reassign_moves_records_and_updates_both_subjects(session: Session) -> None:
    pid = h.provider(session)
    a, b = h.enterprise(session, 1), h.enterprise(session, 2)
    h.store(session, a, pid, h.penalty_row("罚1", types=["吊销许可证件"]))
    h.store(session, a, pid, h.penalty_row("罚2"))
    h.store(session, b, pid, h.penalty_row("罚3"))
    consumer.process_events(session)
    assert records_amend.reassign_subject(session, a, b) == 2
    assert records_amend.reassign_subject(session, a, b) == 0
    assert {e.subject_id for e in h.events(session, "record.reassigned")} == {b}
    assert [e.subject_id for e in h.events(session, "subject.records_reassigned")] == [a]
    consumer.process_events(session)
    assert creditstate.subject_summary(session, a).records_in_force == 0
    assert creditstate.subject_summary(session, b).records_in_force == 3
    assert records.list_subject_records(session, b, today=date(2026, 6, 1)).total == 3


def test_consumer_waits_for_outbox_writers_still_in_flight(db: Database) -> None:
    """PostgreSQL hands out event ids at insert time: a later transaction can commit a higher
    id first. The consumer must not move its cursor past the earlier, still open one."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite has a single writer: ids commit in order")
    with db.session() as s:
        pid = h.provider(s)
        sid = h.enterprise(s, 1)
    slow = db.sessionmaker()
    try:
        # A long submission (bulk ingest): its ledger entries wait for its end, so it holds no
        # ledger lock and another writer can commit meanwhile.
        row = h.penalty_row("罚慢")
        request = records_store.StoreRequest(sid, pid, "罚慢", row, None, row["decision_date"])
        records_store.store_many(slow, item=h.item(), requests=[request], defer_ledger=True)
        slow.flush()  # its event id is taken, not yet committed
        with db.session() as s:
            h.store(s, sid, pid, h.penalty_row("罚快"))
        with db.session() as s:
            assert consumer.process_events(s) == 0  # gives up after the lock timeout
        slow.commit()
    finally:
        slow.close()
    with db.session() as s:
        assert consumer.process_events(s) == 2
    with db.session() as s:
        assert creditstate.subject_summary(s, sid).records_in_force == 2
