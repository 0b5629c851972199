"""The ``lists`` outbox consumer: automatic proposals from the list types' criteria, exits when
the basis record is withdrawn or a red-listed subject gets negative information, and the list
memberships it keeps on the credit state row (the only writer of that column)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.core import events
from xinyong.core.db import Database
from xinyong.core.events import Event, emit
from xinyong.creditstate import consumer
from xinyong.creditstate import service as creditstate
from xinyong.lists import service
from xinyong.lists.models import ListProcedure
from xinyong.records import service as records


def _procs(session: Session, list_type: str | None = None) -> list[ListProcedure]:
    stmt = select(ListProcedure).order_by(ListProcedure.id)
    if list_type:
        stmt = stmt.where(ListProcedure.list_type == list_type)
    return list(session.scalars(stmt))


def test_a_serious_penalty_proposes_the_blacklist_once(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        rid = h.serious_penalty(s, city, "台市监罚〔2026〕101号")
        h.consume(s)
        (proc,) = _procs(s, "blacklist")
        assert (proc.status, proc.origin, proc.criterion) == ("proposed", "automatic", "serious_penalty")
        assert (proc.basis_record_id, proc.department_code) == (rid, h.SCJG)
        assert "台市监罚〔2026〕101号" in proc.reasons
        assert h.list_events(s, proc.id) == ["list.proposed"]
        assert h.ledger_kinds(s, proc.id) == ["list.proposed"]
        # Replaying the consumer, or a correction of the record, proposes nothing new.
        row = rh.penalty_row(
            "台市监罚〔2026〕101号",
            decision=h.recent(),
            types=["吊销许可证件"],
            name="台州市椒江区安信机械有限公司",
            code=rh.uscc(1),
            fine="2",
        )
        rh.store(s, city.company, city.providers[h.SCJG], row)
        s.commit()
        h.consume(s)
        assert len(_procs(s, "blacklist")) == 1
        # A minor penalty proposes nothing; an old serious one (outside the 12-month window) neither.
        row = rh.penalty_row(
            "台市监罚〔2026〕102号",
            decision=h.recent(),
            types=["警告"],
            name="台州市黄岩区鑫达塑料制品有限公司",
            code=rh.uscc(2),
        )
        rh.store(s, city.other, city.providers[h.SCJG], row)
        h.serious_penalty(s, city, "台市监罚〔2024〕9号", subject=city.other, decision=h.recent(500))
        s.commit()
        h.consume(s)
        assert [p.subject_id for p in _procs(s, "blacklist")] == [city.company]


def test_two_general_penalties_within_a_year_propose_the_watch_list(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        h.general_penalty(s, city, "台市监罚〔2026〕201号")
        h.consume(s)
        assert _procs(s, "watch_list") == []
        h.general_penalty(s, city, "台市监罚〔2026〕202号", decision=h.recent(40))
        h.consume(s)
        (proc,) = _procs(s, "watch_list")
        assert proc.status == "proposed" and "共2条" in proc.reasons


def test_court_listings_are_mirrored_decided_and_published(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        day = h.recent(30)
        rid = h.court_record(s, city, "(2026)浙10执123号", decision=day)
        h.consume(s)
        (proc,) = _procs(s, "dishonest_judgment_debtor")
        assert (proc.status, proc.department_code, proc.decision_document) == (
            "published",
            h.COURT,
            "(2026)浙10执123号",
        )
        assert (proc.proposed_on, proc.decided_on, proc.starts_on) == (day, day, day)
        assert h.list_events(s, proc.id) == ["list.proposed", "list.entered", "list.published"]
        # The credit state carries the membership; the legal representative is recorded as liable.
        state = creditstate.list_membership_entries(s, [city.company, city.rep])
        (entry,) = state[city.company]
        assert (entry["list_type"], entry["kind"], entry["published"], entry["procedure_id"]) == (
            "dishonest_judgment_debtor",
            "black",
            True,
            proc.id,
        )
        (liability,) = state[city.rep]
        assert (liability["liability"], liability["for_subject_id"], liability["role"]) == (
            "dishonest_judgment_debtor",
            city.company,
            "legal_representative",
        )
        # What the evaluation reads: the company is on the list, its representative is not.
        assert creditstate.list_memberships(s, [city.company, city.rep]) == {
            city.company: ["dishonest_judgment_debtor"]
        }
        assert service.memberships(s, [city.company]) == {city.company: [entry]}
        # The court withdraws the entry: the listing ends and the memberships are cleared.
        withdrawn = dict(records.get_record(s, rid).data)
        rh.store(s, city.company, city.providers[h.COURT], withdrawn, item_code=h.COURT_ITEM, withdraw=True)
        s.commit()
        h.consume(s)
        s.refresh(proc)
        assert (proc.status, proc.exit_reason) == ("exited", "basis_withdrawn")
        assert creditstate.list_membership_entries(s, [city.company, city.rep]) == {}
        changed = [e for e in s.scalars(select(Event).where(Event.type == service.MEMBERSHIPS_CHANGED))]
        assert {e.subject_id for e in changed} == {city.company, city.rep}


def test_memberships_follow_manual_decisions_and_exits(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        v = h.propose(s, city.company, h.recent(60))
        service.notice(s, v.id, actor=h.SCJG_OFFICER, on=h.recent(60))
        s.commit()
        h.consume(s)
        assert creditstate.list_membership_entries(s, [city.company]) == {}  # not listed before the decision
        h.decide(
            s, v.id, h.recent(30), reasons="r", document_number="台市监信决〔2026〕9号", signed_by="张局长"
        )
        s.commit()
        h.consume(s)
        (entry,) = creditstate.list_membership_entries(s, [city.company])[city.company]
        assert (entry["list_type"], entry["status"], entry["published"]) == ("blacklist", "listed", False)
        assert creditstate.list_memberships(s, [city.company]) == {city.company: ["blacklist"]}
        service.publish(s, v.id, actor=h.SCJG_OFFICER, on=h.recent(25))
        service.settle(s)  # what the API does after each transition
        (entry,) = creditstate.list_membership_entries(s, [city.company])[city.company]
        assert entry["published"] is True and entry["decision_document"] == "台市监信决〔2026〕9号"
        service.exit_list(
            s,
            v.id,
            actor=h.SCJG_OFFICER,
            reason="court_revoked",
            text="人民法院判决撤销原处罚",
            on=h.recent(5),
        )
        service.settle(s)
        assert creditstate.list_membership_entries(s, [city.company, city.rep]) == {}
        assert creditstate.list_memberships(s, [city.company]) == {}


def test_an_excellent_grade_proposes_the_red_list_and_negative_information_ends_it(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        emit(
            s,
            "evaluation.grade_changed",
            subject_id=city.other,
            payload={"subject_id": city.other, "to_grade": "A", "model": "enterprise", "version": "2026.1"},
        )
        # A company with a negative record in force does not qualify.
        h.general_penalty(s, city, "台市监罚〔2026〕301号")
        consumer.process_events(s)
        emit(
            s,
            "evaluation.grade_changed",
            subject_id=city.company,
            payload={"subject_id": city.company, "to_grade": "A"},
        )
        s.commit()
        h.consume(s)
        (proc,) = _procs(s, "red_list")
        assert (proc.subject_id, proc.department_code, proc.status) == (city.other, None, "proposed")
        assert proc.department_name.startswith("市公共信用工作机构")
        day = h.recent(0)
        h.decide(s, proc.id, day, actor=h.OFFICE, reasons="综合评价优秀", document_number="台信办〔2026〕2号")
        service.publish(s, proc.id, actor=h.OFFICE, on=day)
        service.settle(s)
        assert creditstate.list_memberships(s, [city.other]) == {city.other: ["red_list"]}
        h.general_penalty(s, city, "台市监罚〔2026〕302号", subject=city.other)
        h.consume(s)
        s.refresh(proc)
        assert (proc.status, proc.exit_reason) == ("exited", "conditions_lost")
        assert creditstate.list_memberships(s, [city.other]) == {}


def test_the_consumer_converges_on_both_stores_after_many_events(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        for n in range(5):
            h.court_record(
                s,
                city,
                f"(2026)浙10执{500 + n}号",
                subject=city.other if n % 2 else city.company,
                decision=h.recent(10 + n),
            )
    with db.session() as s:
        # Batches of 2 events, one transaction each, until none is left (as the worker runs).
        assert events.drain(s, lambda s: service.process_events(s, limit=2)) > 2
    with db.session() as s:
        procs = _procs(s, "dishonest_judgment_debtor")
        # One listing per subject at a time: the later court entries of a listed subject wait.
        assert sorted(p.subject_id for p in procs) == sorted([city.company, city.other])
        assert set(creditstate.list_memberships(s).keys()) == {city.company, city.other}
        assert service.process_events(s) == 0


def test_a_court_listing_already_over_is_kept_but_not_published(db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        h.court_record(s, city, "(2023)浙10执1号", decision=h.recent(800))
        h.consume(s)
        (proc,) = _procs(s, "dishonest_judgment_debtor")
        assert proc.status == "listed" and proc.published_on is None
        assert proc.ends_on is not None and proc.ends_on < h.recent(0)
        service.tick(s, h.recent(0))
        h.consume(s)
        s.refresh(proc)
        assert (proc.status, proc.exit_reason) == ("exited", "period_ended")
        assert proc.exited_on == proc.ends_on + timedelta(days=1)
        assert creditstate.list_memberships(s, [city.company]) == {}
