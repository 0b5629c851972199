"""The records verifier follows a record through every kind of step (create, correct, withdraw,
publicity end, governance move) and names a row or version changed behind the platform's back."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.fixtures import verified
from tests.records import helpers as h
from xinyong.ledger.integrity import CheckReport
from xinyong.ledger.models import LedgerEntry
from xinyong.records import amend as records_amend
from xinyong.records import integrity
from xinyong.records import service as records
from xinyong.records import store as records_store


def _check(session: Session) -> CheckReport:
    return verified(session, integrity.verify_records, "records", "信用记录")


def test_every_step_is_followed_and_an_edit_is_named(session: Session) -> None:
    sid = h.enterprise(session, 1)
    other = h.enterprise(session, 2)
    pid = h.provider(session)
    row = h.penalty_row("台市监罚〔2026〕7号", types=["罚款"], code=h.uscc(1))
    first = h.store(session, sid, pid, row)
    h.store(session, sid, pid, row | {"fine_amount": "900"}, received_on=date(2026, 5, 20))
    ended = h.store(session, sid, pid, h.penalty_row("罚〔2026〕9号", types=["暂扣许可证件"], code=h.uscc(1)))
    end = records.get_record(session, ended.record_id).publicity_end
    assert end is not None
    records_store.tick(session, end + timedelta(days=1))
    h.withdraw(session, sid, pid, row["document_number"], received_on=date(2026, 6, 1))
    records_amend.reassign_subject(session, sid, other)
    session.commit()

    clean = _check(session)
    assert clean.total == 0 and clean.rows == 5 and clean.warnings == []

    # Each version's entry carries the fields that version set.
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.ref == f"record:{first.record_id}/v1")
    ).one()
    state = json.loads(entry.payload)["state"]
    assert state["status"] == "in_force" and state["subject_id"] == sid and state["severity"]

    session.execute(text(f"UPDATE records SET status = 'in_force' WHERE id = {first.record_id}"))
    session.execute(text(f"UPDATE records SET subject_id = {sid} WHERE id = {ended.record_id}"))
    broken = _check(session)
    named = sorted((f.key, f.column, f.expected, f.found) for f in broken.findings)
    assert named == sorted(
        [
            (f"id={first.record_id}", "status", "withdrawn", "in_force"),
            (f"id={ended.record_id}", "subject_id", str(other), str(sid)),
        ]
    )
    session.rollback()


def test_a_version_without_its_entry_is_named(session: Session) -> None:
    sid = h.enterprise(session, 1)
    pid = h.provider(session)
    out = h.store(session, sid, pid, h.penalty_row("罚Z", types=["警告"], code=h.uscc(1)))
    session.commit()
    session.execute(text(f"DELETE FROM ledger_entries WHERE ref = 'record:{out.record_id}/v1'"))
    report = _check(session)
    keys = {(f.table, f.key, f.check) for f in report.findings}
    assert ("record_versions", f"record_id={out.record_id},version=1", "records.version_entry") in keys
    assert ("records", f"id={out.record_id}", "records.row") in keys
    session.rollback()
