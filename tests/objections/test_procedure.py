"""The objection procedure: marks, the Taizhou and Shenzhen schedules across holidays, every
outcome with its letter, a correction as a new record version, escalation, access."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from xinyong.casework.service import Actor
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.ledger.models import LedgerEntry
from xinyong.objections import service
from xinyong.records import service as records
from xinyong.records.models import RecordVersion

TODAY = date(2027, 3, 1)
OFFICE = Actor("user:xyb", "credit_office")
SCJG_OFFICER = Actor("user:scjg", "provider", provider_code=h.SCJG)
STHJ_OFFICER = Actor("user:sthj", "provider", provider_code=h.STHJ)


def subject_actor(subject_id: int) -> Actor:
    return Actor(f"user:s{subject_id}", "subject", subject_id=subject_id)


def _file(session: Session, city: h.City, record_id: int, on: date, **kw: object) -> service.ObjectionView:
    return service.file_objection(
        session,
        record_id=record_id,
        ground=str(kw.pop("ground", "wrong_content")),
        statement="处罚内容记载有误，实际为警告",
        actor=kw.pop("actor", OFFICE),  # type: ignore[arg-type]
        received_on=on,
        today=TODAY,
        **kw,  # type: ignore[arg-type]
    )


def _step(
    session: Session, objection_id: int, action: str, on: date, *, actor: Actor = OFFICE, **fields: Any
) -> service.ObjectionView:
    """A step of the objection (by the credit office unless told otherwise) on ``TODAY``."""
    return service.take_step(session, objection_id, action=action, actor=actor, on=on, today=TODAY, **fields)


def test_filing_marks_the_record_at_once_and_counts_working_days_over_national_day(
    session: Session, city: h.City
) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕101号", decision=date(2026, 9, 1))
    view = _file(session, city, rid, date(2026, 9, 30))
    assert view.status == "filed" and view.channel == "window"
    assert view.lookup_code and len(view.lookup_code) == 14
    # Taizhou §13: 2 working days from receipt; 10-01…10-07 are the National Day holiday.
    assert [(d.step, d.due_date, d.done_on) for d in view.deadlines] == [("compare", date(2026, 10, 9), None)]
    marks = service.objection_marks(session, [rid])
    assert marks[rid].label_zh == "异议中" and not marks[rid].suspended
    assert service.objection_marks(session, [rid + 999]) == {}
    with pytest.raises(Conflict):
        _file(session, city, rid, date(2026, 10, 8))
    assert (
        session.scalar(select(LedgerEntry.kind).where(LedgerEntry.ref == f"objection:{view.id}/s1"))
        == "objection.file"
    )


def test_shenzhen_schedule_across_spring_festival_with_an_extension(session: Session, city: h.City) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2027〕7号", decision=date(2027, 1, 20))
    view = _file(session, city, rid, date(2027, 2, 5), schedule="shenzhen")
    assert view.schedule == "shenzhen" and "第五十一条" in view.schedule_source
    # 1 working day; 02-06…02-10 are the 春节 holiday (2027: provisional, from the 放假办法)
    assert view.deadlines[0].due_date == date(2027, 2, 11)
    v = _step(session, view.id, "compare", date(2027, 2, 5), result="matches")
    assert v.status == "referred" and v.disclosure_suspended
    assert {d.step: d.due_date for d in v.deadlines}["provider_reply"] == date(2027, 2, 12)
    assert service.objection_marks(session, [rid])[rid].label_zh == "异议中（中止披露）"
    v = _step(session, view.id, "extend", date(2027, 2, 11), text="经主要负责人批准延长", actor=SCJG_OFFICER)
    assert {d.step: d.due_date for d in v.deadlines}["provider_reply"] == date(2027, 2, 17)  # 2 + 3
    with pytest.raises(Conflict):
        _step(session, view.id, "extend", date(2027, 2, 11), text="再延")


def test_differs_then_corrected_makes_a_new_version_with_reason_objection(
    session: Session, city: h.City
) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕102号", decision=date(2026, 9, 1))
    before = records.get_record(session, rid).current_version
    view = _file(session, city, rid, date(2026, 11, 2))
    v = _step(session, view.id, "compare", date(2026, 11, 3), result="differs")
    # §13③: the correction is due 2 working days from receipt.
    assert v.status == "correcting" and {d.step: d.due_date for d in v.deadlines}["correct"] == date(
        2026, 11, 4
    )
    with pytest.raises(InvalidInput):
        _step(session, view.id, "decide", date(2026, 11, 4), outcome="corrected")
    v = _step(
        session,
        view.id,
        "decide",
        date(2026, 11, 4),
        outcome="corrected",
        text="按信息提供单位原始文书更正",
        corrections={"penalty_content": "警告并暂扣许可证件十日"},
    )
    assert v.status == "corrected" and v.corrected_version == before + 1
    record = records.get_record(session, rid)
    assert record.current_version == before + 1 and record.data["penalty_content"] == "警告并暂扣许可证件十日"
    version = session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == rid, RecordVersion.version == before + 1)
    ).one()
    assert (version.change, version.reason) == ("corrected", "objection")
    assert [letter.title for letter in v.letters] == ["信用信息异议处理决定书（予以更正）"]
    assert v.letters[0].number.startswith("信异更〔2026〕") and "第2版" in v.letters[0].text
    assert [(d.step, d.done_on) for d in v.deadlines] == [
        ("compare", date(2026, 11, 3)),
        ("correct", date(2026, 11, 4)),
    ]
    assert service.objection_marks(session, [rid]) == {}


@pytest.mark.parametrize(
    ("result", "status", "letter", "marked"),
    [
        ("not_holds", "upheld", "信用信息异议处理决定书（维持）", None),
        ("unverifiable", "suspended", "信用信息异议处理决定书（终止披露）", "已终止披露（异议信息无法核实）"),
    ],
)
def test_provider_reply_outcomes(
    session: Session, city: h.City, result: str, status: str, letter: str, marked: str | None
) -> None:
    rid = h.general_penalty(session, city, f"台市监罚〔2026〕2{len(result)}号", decision=date(2026, 9, 1))
    view = _file(session, city, rid, date(2026, 11, 2))
    _step(session, view.id, "compare", date(2026, 11, 2), result="matches")
    with pytest.raises(NotFound):  # another department does not see this objection at all
        _step(session, view.id, "reply", date(2026, 11, 5), result=result, actor=STHJ_OFFICER)
    v = _step(session, view.id, "reply", date(2026, 11, 5), result=result, text="经核查", actor=SCJG_OFFICER)
    assert v.status == status and [x.title for x in v.letters] == [letter]
    mark = service.objection_marks(session, [rid]).get(rid)
    assert (mark.label_zh if mark else None) == marked
    with pytest.raises(Conflict) as exc:
        _step(session, view.id, "withdraw", date(2026, 11, 6))
    assert exc.value.code == "objections.invalid_transition"


def test_subject_files_online_sees_its_own_and_withdraws(session: Session, city: h.City) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕103号", decision=date(2026, 9, 1))
    me, other = subject_actor(city.company), subject_actor(city.other)
    with pytest.raises(NotFound):
        service.file_objection(
            session, record_id=rid, ground="other", statement="不是我", actor=other, today=TODAY
        )
    with pytest.raises(InvalidInput):
        service.file_objection(
            session,
            record_id=rid,
            ground="other",
            statement="x",
            actor=me,
            received_on=date(2027, 1, 4),
            today=TODAY,
        )
    v = service.file_objection(
        session,
        record_id=rid,
        ground="wrong_subject",
        statement="该处罚对象不是本公司",
        actor=me,
        today=TODAY,
    )
    assert v.channel == "online" and v.received_on == TODAY and v.ground_zh.startswith("信息主体错误")
    with pytest.raises(NotFound):
        service.get_objection(session, v.id, actor=other)
    assert service.list_objections(session, actor=other).total == 0
    assert service.list_objections(session, actor=me).total == 1
    assert service.list_objections(session, actor=STHJ_OFFICER).total == 0
    assert service.list_objections(session, actor=SCJG_OFFICER).total == 1
    with pytest.raises(Forbidden):
        service.take_step(session, v.id, action="compare", result="differs", actor=me, today=TODAY)
    w = service.take_step(session, v.id, action="withdraw", text="已与执法部门沟通", actor=me, today=TODAY)
    assert w.status == "withdrawn" and all(d.cancelled for d in w.deadlines)
    assert [x.title for x in w.letters] == ["信用信息异议撤回告知书"]
    tracked = service.track(session, v.lookup_code or "")
    assert tracked is not None and tracked.status_zh == "已撤回"
    assert [a for _, a in tracked.steps] == ["提出异议", "撤回异议"]
    assert service.track(session, "2222-2222-2222") is None


def test_overdue_steps_queue_and_escalate(session: Session, city: h.City) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕104号", decision=date(2026, 9, 1))
    view = _file(session, city, rid, date(2026, 9, 30))  # compare due 10-09
    assert service.queue(session, actor=OFFICE, today=date(2026, 10, 9)) == []
    queued = service.queue(session, actor=OFFICE, today=date(2026, 10, 10))
    assert [(i.step, i.working_days_late) for i, _ in queued] == [("compare", 1)]
    assert service.queue(session, actor=STHJ_OFFICER, today=date(2026, 10, 10)) == []
    assert service.tick(session, date(2026, 10, 12)) == 1  # escalate_after 1 working day
    assert service.tick(session, date(2026, 10, 13)) == 0
    v = service.get_objection(session, view.id, actor=OFFICE, today=date(2026, 10, 13))
    assert v.overdue and [s.action for s in v.steps] == ["file", "escalate"]
    assert v.deadlines[0].escalated_on == date(2026, 10, 12)
