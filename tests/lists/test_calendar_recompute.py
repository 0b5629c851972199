"""List deadlines computed on the provisional 2027 are marked, and recomputed (with a history
step and a ledger entry) by the daily job once the 2027 notice is loaded."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.core.notice_fixture import notice_2027
from tests.lists import helpers as h
from xinyong.core.calendar_notice import load_notice
from xinyong.core.db import Database
from xinyong.core.ledger_models import LedgerEntry
from xinyong.jobs import recompute_provisional_dates, run_daily
from xinyong.lists import service
from xinyong.lists.models import ListProcedure, ListStep

D = date.fromisoformat


def test_deadlines_across_spring_festival_2027_move_when_the_notice_is_loaded(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        # Proposed Friday 29 January 2027: the notice is due 5 working days later.
        v = h.propose(s, city.company, D("2027-01-29"), today=D("2027-01-29"))
        s.commit()
        assert (v.notice_due, v.calendar_basis) == (D("2027-02-11"), "provisional")
        assert v.calendar_basis_zh == "按法定节假日推算，待国务院通知发布后校正"
        older = h.propose(s, city.other, D("2026-11-02"), today=D("2026-11-02"))
        s.commit()
        assert older.calendar_basis == "notice"
        proc_id = v.id
    # Nothing to recompute while 2027 is still provisional.
    assert recompute_provisional_dates(db, D("2027-02-01")) == (0, 0)
    with db.session() as s:
        load_notice(s, notice_2027(), by="test")
        s.commit()
    result = run_daily(db, D("2027-02-01"))
    assert result.deadlines_recomputed == 1  # only the notice deadline moved
    with db.session() as s:
        proc = s.get(ListProcedure, proc_id)
        assert proc is not None
        # The notice's 春节 (05–13 Feb) is longer: 1, 2, 3, 4 and 15 February.
        assert (proc.notice_due, proc.calendar_basis) == (D("2027-02-15"), None)
        step = s.scalars(
            select(ListStep).where(ListStep.procedure_id == proc_id, ListStep.action == "deadline_recomputed")
        ).one()
        assert step.on_date == D("2027-02-01") and step.to_status == "proposed"
        assert step.data["moves"] == [
            {
                "owner": f"list_procedure:{proc_id}",
                "field": "notice_due",
                "old": "2027-02-11",
                "new": "2027-02-15",
            }
        ]
        assert "告知期限由2027-02-11改为2027-02-15" in step.text
        view = service.get_procedure(s, proc_id, actor=h.SCJG_OFFICER, today=D("2027-02-01"))
        assert [x.action_zh for x in view.steps] == ["提议列入", "期限校正"]
        entry = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "list.deadline_recomputed")).one()
        assert entry.ref == f"list_procedure:{proc_id}/s{step.seq}"
        # The recompute step does not hold back a real step dated before it.
        service.notice(s, proc_id, actor=h.SCJG_OFFICER, on=D("2027-01-29"), today=D("2027-02-02"))
        s.commit()
    assert run_daily(db, D("2027-02-02")).deadlines_recomputed == 0  # idempotent
