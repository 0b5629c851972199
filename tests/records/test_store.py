"""Versioned records: create / unchanged / correct / withdraw, publicity windows, tick."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.records import helpers as h
from xinyong.core.db import Database
from xinyong.core.errors import NotFound
from xinyong.records import service as records
from xinyong.records import store as records_store
from xinyong.records.models import Record, RecordVersion


@pytest.fixture
def setup(session: Session) -> tuple[int, int]:
    sid = h.enterprise(session, 1)
    pid = h.provider(session)
    session.commit()
    return sid, pid


def test_create_unchanged_correct_withdraw_keep_every_version(
    session: Session, setup: tuple[int, int]
) -> None:
    sid, pid = setup
    row = h.penalty_row("台市监罚〔2026〕1号", types=["罚款"], fine=Decimal("0.50"), code=h.uscc(1))

    created = h.store(session, sid, pid, row)
    assert (created.outcome, created.version) == ("created", 1)

    # The same content again, in another order and spelling of the same values, marked 新增
    # (an instruction, not content): no write.
    n_events = h.count_events(session)
    same = {k: row[k] for k in reversed(list(row))} | {
        "fine_amount": "0.5",
        "authority": " 台州市市场监督管理局 ",
        "operation": "新增",
    }
    again = h.store(session, sid, pid, same)
    assert (again.outcome, again.record_id, again.version) == ("unchanged", created.record_id, 1)
    assert h.count_events(session) == n_events

    corrected = h.store(session, sid, pid, row | {"fine_amount": "0.8"}, received_on=date(2026, 5, 20))
    assert (corrected.outcome, corrected.record_id, corrected.version) == ("corrected", created.record_id, 2)

    withdrawn = h.withdraw(session, sid, pid, row["document_number"], received_on=date(2026, 6, 1))
    assert (withdrawn.outcome, withdrawn.version) == ("withdrawn", 3)
    twice = h.withdraw(session, sid, pid, row["document_number"], received_on=date(2026, 6, 2))
    assert (twice.outcome, twice.version) == ("unchanged", 3)

    detail = records.get_record(session, created.record_id)
    assert detail.status == "withdrawn"
    assert [(v.version, v.change) for v in detail.versions] == [
        (1, "created"),
        (2, "corrected"),
        (3, "withdrawn"),
    ]
    assert detail.versions[0].data["fine_amount"] == "0.5"
    assert detail.versions[1].data["fine_amount"] == "0.8"
    # A withdrawal is a status: the content stays what it was.
    assert detail.versions[2].data == detail.versions[1].data
    assert detail.versions[2].content_hash == detail.versions[1].content_hash

    types = [e.type for e in h.events(session)]
    assert types == ["record.created", "record.corrected", "record.withdrawn"]
    for ev in h.events(session):
        assert {"subject_id", "record_id", "item_code", "category", "severity", "version"} <= set(ev.payload)
        assert ev.subject_id == sid and ev.record_id == created.record_id
        assert ev.payload["item_code"] == h.PENALTY and ev.payload["category"] == "行政处罚"


def test_withdrawing_an_unknown_record_is_not_found(session: Session, setup: tuple[int, int]) -> None:
    sid, pid = setup
    with pytest.raises(NotFound) as exc:
        h.store(
            session,
            sid,
            pid,
            {"document_number": "无此文号", "decision_date": date(2026, 5, 6)},
            withdraw=True,
        )
    assert exc.value.code == "record.withdraw_unknown"
    assert exc.value.message_zh


def test_correction_recomputes_severity_and_keeps_the_publication_date(
    session: Session, setup: tuple[int, int]
) -> None:
    sid, pid = setup
    row = h.penalty_row("罚〔2026〕2号", types=["警告"])
    first = h.store(session, sid, pid, row, received_on=date(2026, 5, 8))
    before = records.get_record(session, first.record_id)
    assert before.severity == "minor" and before.severity_rule

    h.store(session, sid, pid, row | {"penalty_types": ["吊销许可证件"]}, received_on=date(2026, 6, 1))
    after = records.get_record(session, first.record_id)
    assert after.severity == "serious"
    assert after.severity_rule and after.severity_rule != before.severity_rule
    # The period runs from the first publication, not from the correction.
    assert after.publicity_start == before.publicity_start == date(2026, 5, 8)
    assert after.publicity_end is not None and before.publicity_end is not None
    assert after.publicity_end > before.publicity_end
    assert after.publicity_rule and after.publicity_rule.startswith("order36-2026")


@pytest.mark.parametrize(
    ("types", "fine", "severity", "min_months", "max_months"),
    [
        (["警告"], None, "minor", 0, 3),
        (["暂扣许可证件"], None, "general", 3, 12),
        (["吊销许可证件"], None, "serious", 12, 36),
        (["警告", "责令停产停业"], None, "serious", 12, 36),
    ],
)
def test_publicity_window_follows_severity(
    session: Session,
    setup: tuple[int, int],
    types: list[str],
    fine: str | None,
    severity: str,
    min_months: int,
    max_months: int,
) -> None:
    sid, pid = setup
    received = date(2026, 5, 11)
    out = h.store(
        session, sid, pid, h.penalty_row("罚〔2026〕3号", types=types, fine=fine), received_on=received
    )
    rec = records.get_record(session, out.record_id)
    assert rec.severity == severity
    assert rec.publicity_start == received
    assert rec.publicity_end == _add_months(received, max_months)
    if min_months:
        assert rec.publicity_min_end == _add_months(received, min_months)


def test_publicity_rule_is_the_one_in_force_on_the_decision_date(
    session: Session, setup: tuple[int, int]
) -> None:
    sid, pid = setup
    received = date(2026, 4, 3)
    # Received the same day, decided the day before and the day the new rule came into force.
    before, after = (
        h.store(session, sid, pid, h.penalty_row(doc, types=["警告"], decision=decided), received_on=received)
        for doc, decided in (("罚A", date(2026, 3, 31)), ("罚B", date(2026, 4, 1)))
    )
    old, new = records.get_record(session, before.record_id), records.get_record(session, after.record_id)
    assert old.publicity_rule and old.publicity_rule.startswith("order58-2023")
    assert new.publicity_rule and new.publicity_rule.startswith("order36-2026")
    # Order 58: a minor penalty is not published at all; Order 36: at most three months.
    assert new.publicity_end == _add_months(received, 3)
    assert old.publicity_end == old.publicity_start == received
    public = records.list_subject_records(session, sid, today=date(2026, 4, 10))
    assert [r.document_number for r in public.items] == ["罚B"]


def test_licence_has_no_severity_and_is_shown_while_valid(session: Session, setup: tuple[int, int]) -> None:
    sid, pid = setup
    row = h.licence_row("许可〔2026〕1号", name="台州市测试1号有限公司", valid_until=date(2031, 5, 5))
    out = h.store(session, sid, pid, row, item_code=h.LICENCE)
    rec = records.get_record(session, out.record_id)
    assert rec.severity is None
    assert rec.status == "in_force"
    # Shown while valid: the window ends with the licence's 有效期至.
    assert rec.publicity_end == date(2031, 5, 5)
    assert records_store.tick(session, date(2031, 5, 6)) == 1


def test_tick_ends_publicity_exactly_once(session: Session, setup: tuple[int, int]) -> None:
    sid, pid = setup
    out = h.store(session, sid, pid, h.penalty_row("罚〔2026〕9号", types=["暂扣许可证件"]))
    end = records.get_record(session, out.record_id).publicity_end
    assert end is not None

    # publicity_end is the last day shown: nothing ends on that day.
    assert records_store.tick(session, end) == 0
    assert [r.id for r in records.list_subject_records(session, sid, today=end).items] == [out.record_id]

    assert records_store.tick(session, end + timedelta(days=1)) == 1
    assert records_store.tick(session, end + timedelta(days=1)) == 0
    assert records_store.tick(session, end + timedelta(days=400)) == 0

    rec = records.get_record(session, out.record_id)
    assert rec.status == "publicity_ended"
    assert [v.change for v in rec.versions] == ["created", "publicity_ended"]
    assert len(h.events(session, "record.publicity_ended")) == 1
    assert records.list_subject_records(session, sid, today=end + timedelta(days=1)).total == 0


def test_store_many_applies_repeated_keys_in_order(session: Session, setup: tuple[int, int]) -> None:
    sid, pid = setup
    pen = h.item()
    existing = h.store(session, sid, pid, h.penalty_row("罚X", types=["警告"]))
    h.store(session, sid, pid, h.penalty_row("罚Y", types=["警告"]))
    rows = [
        records_store.StoreRequest(sid, pid, "罚Z", h.penalty_row("罚Z"), "sub-1", date(2026, 5, 7)),
        records_store.StoreRequest(
            sid, pid, "罚Z", h.penalty_row("罚Z", types=["罚款"], fine="3"), "sub-1", date(2026, 5, 7)
        ),
        # A correction and a withdrawal in the same batch.
        records_store.StoreRequest(
            sid, pid, "罚X", h.penalty_row("罚X", types=["通报批评"]), "sub-1", date(2026, 5, 7)
        ),
        records_store.StoreRequest(sid, pid, "罚Y", {}, "sub-1", date(2026, 5, 7), withdraw=True),
        records_store.StoreRequest(
            sid, pid, "罚Z", h.penalty_row("罚Z", types=["罚款"], fine="3"), "sub-1", date(2026, 5, 7)
        ),
    ]
    out = records_store.store_many(session, item=pen, requests=rows)
    assert [(o.outcome, o.version) for o in out] == [
        ("created", 1),
        ("corrected", 2),
        ("corrected", 2),
        ("withdrawn", 2),
        ("unchanged", 2),
    ]
    assert out[2].record_id == existing.record_id
    assert session.scalar(select(func.count()).select_from(Record)) == 3
    assert session.scalar(select(func.count()).select_from(RecordVersion)) == 6
    assert records.get_record(session, out[0].record_id).versions[-1].submission_id == "sub-1"


def test_a_rollback_leaves_neither_record_nor_event(db: Database) -> None:
    with db.session() as s:
        sid = h.enterprise(s, 1)
        pid = h.provider(s)
    with pytest.raises(RuntimeError), db.session() as s:
        h.store(s, sid, pid, h.penalty_row("罚R"))
        raise RuntimeError("the submission failed after storing")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 0
        assert h.count_events(s) == 0
    with db.session() as s:
        h.store(s, sid, pid, h.penalty_row("罚R"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 1
        assert [e.type for e in h.events(s)] == ["record.created"]


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return d.replace(year=d.year + y, month=m + 1)


def test_deferred_ledger_entries_commit_with_their_versions(db: Database) -> None:
    """Bulk ingest keeps the ledger entries of its versions until the end of the submission
    (one short hold of the ledger's lock): they are written, in version order, before the
    commit at the latest, and a rollback drops them with the versions."""
    from xinyong.ledger import service as ledger
    from xinyong.ledger.models import LedgerEntry

    with db.session() as s:
        sid = h.enterprise(s, 1)
        pid = h.provider(s)
    # Registering the provider wrote its department's and key's entries (accounts) before.
    records_only = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind.like("record.%"))
    requests = [
        records_store.StoreRequest(sid, pid, f"罚D{n}", h.penalty_row(f"罚D{n}"), "sub-d", date(2026, 5, 7))
        for n in range(3)
    ]
    with pytest.raises(RuntimeError), db.session() as s:
        records_store.store_many(s, item=h.item(), requests=requests, defer_ledger=True)
        raise RuntimeError("the submission failed")
    with db.session() as s:
        assert s.scalar(records_only) == 0
        out = records_store.store_many(s, item=h.item(), requests=requests, defer_ledger=True)
        assert s.scalar(records_only) == 0  # not yet
        more = records_store.store_many(
            s,
            item=h.item(),
            requests=[
                records_store.StoreRequest(sid, pid, "罚D9", h.penalty_row("罚D9"), "sub-d", date(2026, 5, 7))
            ],
            defer_ledger=True,
        )
    with db.session() as s:  # written by the commit
        refs = list(
            s.scalars(
                select(LedgerEntry.ref).where(LedgerEntry.kind.like("record.%")).order_by(LedgerEntry.seq)
            )
        )
        assert refs == [f"record:{o.record_id}/v1" for o in [*out, *more]]
        assert ledger.verify(s).ok
        versions = records.get_record(s, out[0].record_id).versions
        payload = json.loads(s.scalar(select(LedgerEntry.payload).where(LedgerEntry.ref == refs[0])) or "{}")
        assert payload["content_hash"] == versions[0].content_hash
    with db.session() as s:
        records_store.store_many(
            s,
            item=h.item(),
            requests=[
                records_store.StoreRequest(
                    sid, pid, "罚D10", h.penalty_row("罚D10"), "sub-e", date(2026, 5, 7)
                )
            ],
            defer_ledger=True,
        )
        assert records_store.write_deferred_ledger(s) == 1
        assert s.scalar(records_only) == 5
        assert records_store.write_deferred_ledger(s) == 0


def test_one_pass_content_equals_the_hash_and_the_version_data() -> None:
    import random
    from datetime import date as _date
    from decimal import Decimal

    from xinyong.records.store import _content, _version_data, content_hash

    rnd = random.Random(3)
    values: list[object] = ["", " ", " a ", "台州", "e\u0301", "\u00e9", " x\u3000", 0, 5, 1.5]
    values += [Decimal("1.00"), None, _date(2020, 1, 2), ["a", " b", ""], [], {"x": " y "}, True]
    for _ in range(5_000):
        keys = ["a", "b", "c", "operation", "d"]
        data = {rnd.choice(keys): rnd.choice(values) for _ in range(rnd.randint(0, 5))}
        assert _content(data) == (content_hash(data), _version_data(data))
