"""The credit state's reads and writers: list-membership shapes; the writers touch only their
own columns; a submission leaves the states current because the assembly registers the consumer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.records import helpers as h
from xinyong.core import events
from xinyong.creditstate import consumer
from xinyong.creditstate import service as creditstate
from xinyong.jobs import register_consumers


def test_list_membership_shapes() -> None:
    assert creditstate._list_codes(["blacklist"]) == ["blacklist"]
    assert creditstate._list_codes({"blacklist": {"since": "2026-01-01"}, "red_list": {}}) == [
        "blacklist",
        "red_list",
    ]
    assert creditstate._list_codes(
        [{"list_type": "blacklist", "since": "2026-01-01"}, {"code": "watch"}]
    ) == [
        "blacklist",
        "watch",
    ]
    assert creditstate._list_codes(None) == []


def test_each_writer_keeps_to_its_columns(session: Session) -> None:
    pid = h.provider(session)
    sid = h.enterprise(session, 1)
    h.store(session, sid, pid, h.penalty_row("罚〔2026〕1号", types=["罚款"]))
    session.commit()
    consumer.process_events(session)
    at = datetime.now(UTC)
    creditstate.set_evaluations(
        session, [creditstate.EvaluationState(sid, "C", Decimal("600"), "enterprise", "2026.1", at)]
    )
    creditstate.set_list_memberships(session, {sid: [{"list_type": "watch_list"}]})
    session.commit()
    state = creditstate.check_states(session, [sid])[sid]
    assert state.records_in_force == 1 and state.grade == "C" and state.lists == [{"list_type": "watch_list"}]
    assert creditstate.list_memberships(session, [sid]) == {sid: ["watch_list"]}
    assert creditstate.evaluation_states(session, [sid]) == {sid: ("C", Decimal("600.00"))}
    # A subject no consumer has seen yet gets a row from either writer, with empty counts.
    other = h.enterprise(session, 2)
    creditstate.set_list_memberships(session, {other: [{"list_type": "red_list"}]})
    session.commit()
    assert creditstate.subject_summary(session, other).records_in_force == 0
    assert creditstate.list_memberships(session, [other]) == {other: ["red_list"]}


def test_the_assembly_runs_the_consumer_after_a_submission_commits() -> None:
    register_consumers()
    assert events._AFTER_COMMIT[consumer.CONSUMER] is consumer.process_events
