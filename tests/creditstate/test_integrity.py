"""The credit-state verifier: counts recomputed from the records, grades from the ledger; a
consumer that has not caught up is a warning, not a break; `rebuild` repairs derived counts."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.fixtures import verified
from tests.records import helpers as h
from xinyong.creditstate import consumer, integrity
from xinyong.ledger.integrity import CheckReport


def _check(session: Session) -> CheckReport:
    return verified(session, integrity.verify_credit_states, "creditstate", "信用状态")


def test_counts_are_recomputed_and_rebuilt(session: Session) -> None:
    sid = h.enterprise(session, 1)
    pid = h.provider(session)
    h.store(session, sid, pid, h.penalty_row("罚A", types=["警告"], code=h.uscc(1)))
    session.commit()

    lagging = _check(session)
    assert lagging.total == 0 and "event(s) to consume" in lagging.warnings[0][0]

    while consumer.process_events(session):
        session.commit()
    session.commit()
    assert _check(session).total == 0

    session.execute(
        text(f"UPDATE credit_states SET negative_in_force = 7, grade = 'A' WHERE subject_id = {sid}")
    )
    session.commit()
    broken = _check(session)
    found = {(f.column, f.expected, f.found, f.rebuild) for f in broken.findings}
    assert ("negative_in_force", "1", "7", integrity.REBUILD_COUNTS) in found
    assert ("grade", None, "A", integrity.REBUILD_GRADES) in found

    consumer.rebuild(session)
    session.commit()
    assert [f.column for f in _check(session).findings] == [
        "grade"
    ]  # counts rebuilt; grades are evaluation's
