"""The daily tick (period ends, escalation 经营异常名录 → 严重违法企业名单, deadlines) and the
overdue queue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from xinyong.catalog.calendar import add_override
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.lists import service
from xinyong.lists.models import ListProcedure
from xinyong.lists.worker import run_once


def test_a_listing_ends_by_itself_at_the_end_of_its_period(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        v = h.propose(s, city.company, date(2023, 6, 1))
        service.notice(s, v.id, actor=h.SCJG_OFFICER, on=date(2023, 6, 1))
        h.decide(s, v.id, date(2023, 6, 12), reasons="r", document_number="d", signed_by="z")
        service.publish(s, v.id, actor=h.SCJG_OFFICER, on=date(2023, 6, 13))
        service.settle(s)
        # Proposed under Order No. 58 of 2023: 36 months, 2023-06-12 … 2026-06-11.
        assert s.get(ListProcedure, v.id).ends_on == date(2026, 6, 11)  # type: ignore[union-attr]
    assert run_once(db, date(2026, 6, 11)).exited == 0
    with db.session() as s:
        assert creditstate.list_memberships(s, [city.company]) == {city.company: ["blacklist"]}
    assert run_once(db, date(2026, 6, 12)).exited == 1
    with db.session() as s:
        proc = s.get(ListProcedure, v.id)
        assert proc is not None
        assert (proc.status, proc.exit_reason, proc.exited_on) == (
            "exited",
            "period_ended",
            date(2026, 6, 12),
        )
        assert h.list_events(s, proc.id)[-1] == "list.exited"
        assert creditstate.list_memberships(s, [city.company]) == {}
    assert run_once(db, date(2026, 6, 13)).exited == 0  # idempotent


def test_three_years_on_the_anomaly_directory_propose_the_serious_illegal_list(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        v = h.propose(
            s, city.company, date(2023, 7, 3), list_type="business_anomaly", reasons="未按期公示2022年度报告"
        )
        h.decide(
            s, v.id, date(2023, 7, 5), reasons="列入经营异常名录", document_number="台市监异〔2023〕15号"
        )
        service.publish(s, v.id, actor=h.SCJG_OFFICER, on=date(2023, 7, 6))
        anomaly = v.id
    assert run_once(db, date(2026, 7, 4)).escalated == 0
    assert run_once(db, date(2026, 7, 5)).escalated == 1
    assert run_once(db, date(2026, 7, 6)).escalated == 0
    with db.session() as s:
        (esc,) = s.scalars(
            select(ListProcedure).where(ListProcedure.list_type == "serious_illegal_enterprise")
        )
        assert (esc.status, esc.origin, esc.source_procedure_id, esc.department_code) == (
            "proposed",
            "escalation",
            anomaly,
            h.SCJG,
        )
        assert esc.proposed_on == date(2026, 7, 5) and "经营异常名录" in esc.reasons
        # It follows the full procedure; its liable legal representative is barred for 3 years.
        service.notice(s, esc.id, actor=h.SCJG_OFFICER, on=date(2026, 7, 6))
        h.decide(
            s,
            esc.id,
            date(2026, 7, 20),
            reasons="满三年未履行公示义务",
            document_number="浙市监严〔2026〕1号",
            signed_by="李局长",
        )
        service.settle(s)
        entries = creditstate.list_membership_entries(s, [city.company, city.rep])
        assert {e["list_type"] for e in entries[city.company]} == {
            "business_anomaly",
            "serious_illegal_enterprise",
        }
        (liability,) = entries[city.rep]
        assert (liability["liability"], liability["restricted_until"]) == (
            "serious_illegal_enterprise",
            "2029-07-19",
        )


def test_the_overdue_queue_counts_working_days(session: Session, city: h.City) -> None:
    late = h.propose(session, city.company, date(2026, 9, 25))
    mine = h.propose(session, city.other, date(2026, 10, 9), actor=h.STHJ_OFFICER)
    session.commit()
    assert late.notice_due == date(2026, 10, 9)  # 5 working days over the 2026 National Day break
    today = date(2026, 10, 14)
    items = service.queue(session, actor=h.OFFICE, today=today)
    assert [(q.procedure.id, q.step, q.overdue) for q in items] == [
        (late.id, "notice", True),
        (mine.id, "notice", False),
    ]
    # Working days after the deadline: Oct 10 (a make-up Saturday), 12, 13, 14.
    assert items[0].overdue_working_days == 4
    assert service.queue(session, actor=h.OFFICE, today=today, overdue_only=True)[0].procedure.id == late.id
    # A provider sees its own department's procedures only.
    assert [q.procedure.id for q in service.queue(session, actor=h.STHJ_OFFICER, today=today)] == [mine.id]
    # While the statement period runs, nothing is overdue for the department.
    service.notice(session, late.id, actor=h.SCJG_OFFICER, on=date(2026, 10, 14))
    (item,) = [q for q in service.queue(session, actor=h.OFFICE, today=today) if q.procedure.id == late.id]
    assert (item.step, item.overdue, item.due) == ("statement", False, date(2026, 10, 21))


def test_a_local_day_off_moves_deadlines(session: Session, city: h.City) -> None:
    add_override(session, date(2026, 3, 5), False, "台风停工")
    v = h.propose(session, city.company, date(2026, 3, 2))
    assert v.notice_due == date(2026, 3, 10)  # 3, 4, (5 off), 6, 9, 10


def test_deadlines_in_an_unknown_year_are_left_open_never_guessed(session: Session, city: h.City) -> None:
    v = h.propose(session, city.company, date(2046, 12, 28), today=date(2046, 12, 28))
    assert v.notice_due is None  # beyond the provisional years: not in the working-day calendar
    (item,) = service.queue(session, actor=h.OFFICE, today=date(2046, 12, 28))
    assert (item.step, item.due, item.due_unknown, item.overdue) == ("notice", None, True, False)


def test_deadlines_in_a_year_without_notice_are_provisional(session: Session, city: h.City) -> None:
    v = h.propose(session, city.company, date(2026, 12, 28), today=date(2026, 12, 28))
    # 29, 30, 31 December, (元旦 off), 4 and 5 January: computed on the provisional 2027.
    assert (v.notice_due, v.calendar_basis) == (date(2027, 1, 5), "provisional")
    (item,) = service.queue(session, actor=h.OFFICE, today=date(2026, 12, 28))
    assert (item.due, item.due_unknown, item.procedure.calendar_basis) == (
        date(2027, 1, 5),
        False,
        "provisional",
    )
