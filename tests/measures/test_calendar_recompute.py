"""A feedback deadline computed on the provisional 2027 is marked and recomputed once the 2027
notice is loaded; the move is in the ledger and checks with feedback are left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.core.notice_fixture import notice_2027
from tests.measures.helpers import PROCUREMENT, build_city
from xinyong.core.calendar_notice import load_notice
from xinyong.core.db import Database
from xinyong.core.ledger_models import LedgerEntry
from xinyong.measures import calendar_recompute, service
from xinyong.measures.models import MeasureCheck

D = date.fromisoformat


def test_feedback_deadline_across_spring_festival_2027(session: Session, db: Database) -> None:
    city = build_city(session)
    caller = service.Caller(label="key:test", role="regulator", department_code="test_regulator")
    # Made on Friday 29 January 2027 (China time): 10 working days of feedback.
    made = datetime(2027, 1, 29, 2, 0, tzinfo=UTC)
    answer = service.check(
        session,
        subject_code=city.bad_code,
        matter_code=PROCUREMENT,
        purpose="public_resource_trading",
        caller=caller,
        now=made,
    )
    session.commit()
    # Provisional: 1–4 Feb, (5–10 off), 11, 12, 15, 16, 17, 18 → 18 February.
    assert (answer.feedback_due_on, answer.feedback_due_basis) == (D("2027-02-18"), "provisional")
    listed = service.list_checks(session, caller)
    assert listed.items[0].feedback_due_basis == "provisional"
    assert calendar_recompute.recompute_provisional(session, D("2027-02-01")) == []
    load_notice(session, notice_2027(), by="test")
    moves = calendar_recompute.recompute_provisional(session, D("2027-02-01"))
    session.commit()
    # The notice: 1–4 Feb, (5–14 off), 15–19, 20 (调休) → 20 February.
    assert [(m.field, m.old, m.new) for m in moves] == [("feedback_due_on", D("2027-02-18"), D("2027-02-20"))]
    row = session.get(MeasureCheck, answer.check_id)
    assert row is not None and (row.feedback_due_on, row.feedback_due_basis) == (D("2027-02-20"), None)
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "measure.feedback_due_recomputed")
    ).one()
    assert entry.ref == f"measure_check:{answer.check_id}"
    assert calendar_recompute.recompute_provisional(session, D("2027-02-02")) == []  # idempotent
