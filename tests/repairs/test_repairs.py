"""Credit repair: eligibility shown before applying, the procedure and its letters, a granted
repair carried out by the daily tick (publicity ended, credit state re-derived, list left,
announcement), access by department, no fee anywhere."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from xinyong.casework.service import Actor
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.core.events import Event
from xinyong.creditstate import consumer as creditstate_consumer
from xinyong.creditstate import service as creditstate
from xinyong.lists import service as lists_service
from xinyong.records import service as records
from xinyong.records.models import RecordVersion
from xinyong.repairs import service
from xinyong.repairs.models import Repair
from xinyong.repairs.schemas import RepairView

OFFICE = Actor("user:xyb", "credit_office")
SCJG_OFFICER = Actor("user:scjg", "provider", provider_code=h.SCJG)
STHJ_OFFICER = Actor("user:sthj", "provider", provider_code=h.STHJ)
MATERIALS = ["performance", "rectification"]


def me(city: h.City) -> Actor:
    return Actor("user:company", "subject", subject_id=city.company)


def _eligible_penalty(session: Session, city: h.City, doc: str) -> tuple[int, date]:
    """A general penalty decided long enough ago; (record id, a day after its minimum period)."""
    rid = h.general_penalty(session, city, doc, decision=date(2025, 3, 3))
    min_end = records.get_record(session, rid).publicity_min_end
    assert min_end is not None
    return rid, min_end + timedelta(days=1)


def _apply(session: Session, city: h.City, rid: int, day: date, **changed: Any) -> RepairView:
    """The company applies to repair record ``rid`` (with ``changed`` fields of the application)."""
    application: dict[str, Any] = {
        "statement": "罚款已于当日缴清，违法行为已整改",
        "commitment": True,
        "materials": MATERIALS,
        **changed,
    }
    return service.apply_for(session, actor=me(city), record_id=rid, today=day, **application)


def test_eligibility_before_applying(session: Session, city: h.City) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕401号", decision=date(2026, 11, 2))
    min_end = records.get_record(session, rid).publicity_min_end
    assert min_end is not None
    e = service.eligibility(session, actor=me(city), record_id=rid, today=date(2026, 12, 1))
    earliest = min_end + timedelta(days=1)
    assert not e.eligible and e.earliest_on == earliest
    assert (
        e.message_zh
        == f"尚不可申请，因为最短公示期尚未届满（至{min_end.isoformat()}），最早可于 {earliest.isoformat()} 申请"
    )
    assert e.department_name == "台州市市场监督管理局" and e.kind == "penalty_publicity"
    assert [m.code for m in e.materials if m.required] == ["commitment", "performance", "rectification"]
    assert service.eligibility(session, actor=me(city), record_id=rid, today=earliest).message_zh == "可申请"
    serious = h.serious_penalty(session, city, "台市监罚〔2025〕402号", decision=date(2025, 1, 6))
    never = service.eligibility(session, actor=me(city), record_id=serious, today=date(2026, 12, 1))
    assert not never.eligible and never.earliest_on is None
    assert "不得提前停止公示" in never.message_zh and "吊销许可证件" in never.message_zh
    with pytest.raises(NotFound):  # another subject's record is not there for this caller
        service.eligibility(session, actor=Actor("u", "subject", subject_id=city.other), record_id=rid)
    with pytest.raises(Conflict) as exc:
        _apply(session, city, rid, date(2026, 12, 1))
    assert (
        exc.value.code == "repairs.not_eligible" and exc.value.details["earliest_on"] == earliest.isoformat()
    )


def test_application_needs_commitment_and_materials(session: Session, city: h.City) -> None:
    rid, day = _eligible_penalty(session, city, "台市监罚〔2025〕403号")
    with pytest.raises(InvalidInput) as exc:
        _apply(session, city, rid, day, statement="x", commitment=False)
    assert exc.value.code == "repairs.commitment_required"
    with pytest.raises(InvalidInput) as exc:
        _apply(session, city, rid, day, statement="x", materials=["rectification"])
    assert exc.value.code == "repairs.materials_missing" and exc.value.details["missing"] == ["performance"]
    v = _apply(session, city, rid, day)
    assert v.status == "filed" and v.department_code == h.SCJG and v.lookup_code
    assert v.materials == ["commitment", "performance", "rectification"]
    # 当场受理: the intake is due the day received (a working day)
    assert [(d.step, d.due_date) for d in v.deadlines] == [
        ("intake", day if day.weekday() < 5 else v.deadlines[0].due_date)
    ]
    assert "fee" not in RepairView.model_fields and not any("fee" in c.name for c in Repair.__table__.columns)
    with pytest.raises(Conflict):
        _apply(session, city, rid, day)  # one application at a time


def test_granted_repair_ends_publicity_by_the_next_tick(session: Session, city: h.City) -> None:
    rid, day = _eligible_penalty(session, city, "台市监罚〔2025〕404号")
    creditstate_consumer.process_events(session)
    session.commit()
    before = creditstate.subject_summary(session, city.company)
    v = _apply(session, city, rid, day)
    with pytest.raises(NotFound):
        service.take_step(session, v.id, action="accept", actor=STHJ_OFFICER, today=day)
    with pytest.raises(Forbidden):
        service.take_step(session, v.id, action="accept", actor=me(city), today=day)
    v = service.take_step(session, v.id, action="accept", actor=SCJG_OFFICER, today=day)
    assert v.status == "accepted" and {d.step for d in v.deadlines} == {"intake", "decision"}
    v = service.take_step(
        session,
        v.id,
        action="decide",
        outcome="granted",
        text="已履行义务并整改",
        actor=SCJG_OFFICER,
        today=day,
    )
    assert v.status == "granted" and v.decision_number and v.decision_number.startswith("信修准〔")
    assert records.get_record(session, rid).status == "in_force"  # not until the tick
    applied, _ = service.tick(session, day)
    assert applied == 1
    session.commit()
    record = records.get_record(session, rid)
    assert record.status == "publicity_ended" and record.publicity_end == day - timedelta(days=1)
    last = session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == rid).order_by(RecordVersion.version.desc())
    ).first()
    assert last is not None and (last.change, last.reason) == ("publicity_ended", "repair")
    ev = session.scalars(
        select(Event).where(Event.type == "record.publicity_ended", Event.record_id == rid)
    ).one()
    assert ev.payload["reason"] == "repair"  # what push subscribers receive
    creditstate_consumer.process_events(session)
    session.commit()
    after = creditstate.subject_summary(session, city.company)
    assert (after.negative_in_force, after.records_in_force) == (
        before.negative_in_force - 1,
        before.records_in_force - 1,
    )
    v = service.get_repair(session, v.id, actor=me(city), today=day)
    assert v.status == "repaired" and v.applied_on == day
    assert [x.title for x in v.letters] == ["信用修复决定书（准予修复）", "信用修复公告"]
    assert {d.step: d.done_on for d in v.deadlines}["stop_publicity"] == day
    assert service.repair_marks(session, [rid]) == {rid: f"已修复（{day}）"}
    assert service.tick(session, day) == (0, 0)  # idempotent
    tracked = service.track(session, v.lookup_code or "")
    assert tracked is not None and tracked.status_zh == "已修复"


def test_refused_rejected_and_withdrawn_each_have_a_letter(session: Session, city: h.City) -> None:
    outcomes = []
    for n, (steps, status, title) in enumerate(
        [
            ([("reject", None)], "rejected", "信用修复申请不予受理通知书"),
            ([("accept", None), ("decide", "refused")], "refused", "信用修复决定书（不予修复）"),
            ([("withdraw", None)], "withdrawn", "信用修复申请撤回告知书"),
        ]
    ):
        rid, day = _eligible_penalty(session, city, f"台市监罚〔2025〕41{n}号")
        v = _apply(session, city, rid, day)
        for action, outcome in steps:
            actor = me(city) if action == "withdraw" else OFFICE
            v = service.take_step(
                session, v.id, action=action, outcome=outcome, text="理由", actor=actor, today=day
            )
        outcomes.append((v.status, [x.title for x in v.letters]))
        assert (v.status, [x.title for x in v.letters]) == (status, [title])
    with pytest.raises(Conflict):
        service.take_step(session, v.id, action="accept", actor=OFFICE, today=day)


def test_list_exit_by_repair(session: Session, city: h.City) -> None:
    basis = h.serious_penalty(session, city, "台市监罚〔2025〕420号", decision=date(2025, 1, 2))
    proc = lists_service.propose(
        session,
        list_type="blacklist",
        subject_id=city.company,
        actor=h.SCJG_OFFICER,
        reasons="吊销许可证件",
        basis_record_id=basis,
        on=date(2025, 1, 6),
    )
    lists_service.notice(
        session, proc.id, actor=h.SCJG_OFFICER, document_number="告〔2025〕1号", on=date(2025, 1, 6)
    )
    h.decide(
        session,
        proc.id,
        date(2025, 2, 10),
        reasons="依法列入",
        document_number="台市监信决〔2025〕1号",
        signed_by="张局长",
    )
    session.commit()
    early = service.eligibility(session, actor=me(city), list_procedure_id=proc.id, today=date(2025, 6, 2))
    assert (
        not early.eligible
        and early.earliest_on == date(2026, 2, 10)
        and "最早可于 2026-02-10 申请" in early.message_zh
    )
    day = date(2026, 3, 2)
    e = service.eligibility(session, actor=me(city), list_procedure_id=proc.id, today=day)
    assert (
        e.eligible
        and e.kind == "list_exit"
        and {m.code for m in e.materials} >= {"training", "credit_report"}
    )
    v = service.apply_for(
        session,
        actor=me(city),
        list_procedure_id=proc.id,
        statement="已整改并参加培训",
        commitment=True,
        materials=["performance", "rectification", "training"],
        today=day,
    )
    service.take_step(session, v.id, action="accept", actor=SCJG_OFFICER, today=day)
    service.take_step(
        session, v.id, action="decide", outcome="granted", text="准予", actor=SCJG_OFFICER, today=day
    )
    assert service.tick(session, day)[0] == 1
    session.commit()
    listed = lists_service.get_procedure(session, proc.id, actor=h.OFFICE, today=day)
    assert listed.status == "exited" and listed.exit_reason == "repaired"
    h.consume(session)
    assert not any(
        m.get("list_type") == "blacklist"
        for m in lists_service.memberships(session, [city.company]).get(city.company, [])
    )
