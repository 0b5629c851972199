"""The listing procedure as a state machine: every step dated, working-day deadlines (holidays
included), history kept, invalid transitions refused with the state named, and each transition
an outbox event plus a ledger entry in the same transaction."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from xinyong.core.db import Database
from xinyong.core.errors import Conflict, Forbidden, InvalidInput
from xinyong.ledger.service import verify
from xinyong.lists import service
from xinyong.lists.models import ListStep


def _propose(session: Session, city: h.City, on: date) -> int:
    """A committed blacklist proposal for the company; its id."""
    view = h.propose(session, city.company, on, reasons="无证生产经营被吊销许可证件，严重危害人身健康")
    session.commit()
    return view.id


def test_blacklist_from_proposal_to_repair_with_working_day_deadlines(session: Session, city: h.City) -> None:
    pid = _propose(session, city, date(2025, 9, 26))
    view = service.get_procedure(session, pid, actor=h.OFFICE)
    assert (view.status, view.department_code, view.department_name) == (
        "proposed",
        h.SCJG,
        "台州市市场监督管理局",
    )
    assert "浙江省公共信用信息管理条例" in view.legal_basis
    # 5 working days over the National Day break (2025: Oct 1-8 off, Sep 28 and Oct 11 worked).
    assert view.notice_due == date(2025, 10, 10)
    assert (view.next_step, view.next_due) == ("notice", date(2025, 10, 10))

    v = service.notice(
        session, pid, actor=h.SCJG_OFFICER, document_number="台市监告〔2025〕7号", on=date(2025, 9, 29)
    )
    assert v.status == "noticed" and v.statement_due == date(2025, 10, 13)
    notice_text = service.get_procedure(session, pid, actor=h.OFFICE).steps[-1].text
    assert "严重失信主体名单" in notice_text and "2025-10-13" in notice_text and "陈述和申辩" in notice_text
    # The decision waits for the statement period ...
    with pytest.raises(Conflict) as exc:
        h.decide(session, pid, date(2025, 10, 13), reasons="x", document_number="d", signed_by="张局长")
    assert exc.value.code == "lists.statement_period_running"
    # ... unless the subject states its case, which it does within the period.
    v = service.file_statement(
        session,
        pid,
        actor=service.Actor("user:company", "subject", subject_id=city.company),
        text="已停产整改，请求从轻",
        hearing_requested=True,
        on=date(2025, 10, 13),
    )
    assert v.status == "heard" and v.decision_due == date(2025, 10, 27)
    v = h.decide(
        session,
        pid,
        date(2025, 10, 14),
        reasons="陈述申辩理由不成立，依法列入",
        document_number="台市监信决〔2025〕3号",
        signed_by="张局长",
    )
    assert (v.status, v.starts_on, v.ends_on, v.min_end) == (
        "listed",
        date(2025, 10, 14),
        date(2028, 10, 13),
        date(2026, 10, 14),
    )
    assert v.publication_due == date(2025, 10, 23)  # 7 working days
    assert v.rectification_due == date(2025, 11, 11)  # 20 working days
    # The legal representative is recorded as liable, linked to the natural-person subject.
    assert [(p.role, p.name, p.subject_id, p.source) for p in v.liable_persons] == [
        ("legal_representative", "王建国", city.rep, "relation")
    ]
    v = service.publish(session, pid, actor=h.SCJG_OFFICER, on=date(2025, 10, 20))
    assert v.status == "published"
    # Rectification lags: a prompt interview starts a new deadline.
    v = service.record_interview(
        session, pid, actor=h.SCJG_OFFICER, kind="prompt", summary="督促限期整改", on=date(2025, 11, 14)
    )
    assert v.interview_count == 1 and v.rectification_due == date(2025, 12, 12)
    # Repair before the minimum period is refused; after it (and after rectification) it ends the listing.
    service.record_rectification(
        session, pid, actor=h.SCJG_OFFICER, text="已完成整改并履行处罚", on=date(2025, 12, 1)
    )
    with pytest.raises(Conflict) as exc:
        service.exit_list(
            session, pid, actor=h.SCJG_OFFICER, reason="repaired", text="申请信用修复", on=date(2026, 10, 13)
        )
    assert exc.value.code == "lists.minimum_period"
    v = service.exit_list(
        session, pid, actor=h.SCJG_OFFICER, reason="repaired", text="信用修复完成", on=date(2026, 10, 14)
    )
    session.commit()
    assert (v.status, v.exited_on, v.exit_reason) == ("exited", date(2026, 10, 14), "repaired")

    full = service.get_procedure(session, pid, actor=h.OFFICE)
    assert [s.action for s in full.steps] == [
        "propose",
        "notice",
        "statement",
        "decide",
        "publish",
        "interview",
        "rectify",
        "exit",
    ]
    assert [s.on for s in full.steps] == sorted(s.on for s in full.steps)
    events = [
        "list.proposed",
        "list.noticed",
        "list.statement_filed",
        "list.entered",
        "list.published",
        "list.interviewed",
        "list.rectified",
        "list.exited",
    ]
    assert h.list_events(session, pid) == events
    assert h.ledger_kinds(session, pid) == events
    assert verify(session).ok


def test_invalid_transitions_name_the_state(session: Session, city: h.City) -> None:
    pid = _propose(session, city, date(2026, 3, 2))
    with pytest.raises(Conflict) as exc:
        service.publish(session, pid, actor=h.SCJG_OFFICER, on=date(2026, 3, 3))
    assert exc.value.code == "lists.invalid_transition"
    assert exc.value.details["state"] == "proposed" and "已提议" in exc.value.message_zh
    # A list type with a notice step cannot be decided before the notice.
    with pytest.raises(Conflict) as exc:
        h.decide(session, pid, date(2026, 3, 3), reasons="x", document_number="d", signed_by="z")
    assert exc.value.code == "lists.invalid_transition"
    service.notice(session, pid, actor=h.SCJG_OFFICER, on=date(2026, 3, 3))
    with pytest.raises(Conflict) as exc:
        service.notice(session, pid, actor=h.SCJG_OFFICER, on=date(2026, 3, 4))
    assert exc.value.details["state"] == "noticed"
    # A statement after the period is refused.
    with pytest.raises(Conflict) as exc:
        service.file_statement(session, pid, actor=h.OFFICE, text="迟交", on=date(2026, 3, 20))
    assert exc.value.code == "lists.statement_period_over"
    # A step cannot be dated before the previous one, nor in the future.
    with pytest.raises(InvalidInput) as bad:
        h.decide(session, pid, date(2026, 3, 1), outcome="dismiss", reasons="x")
    assert bad.value.code == "lists.date_before_previous_step"
    with pytest.raises(InvalidInput) as bad:
        h.decide(session, pid, date(2099, 1, 1), outcome="dismiss", reasons="x")
    assert bad.value.code == "lists.future_date"
    # Listing needs a decision document signed by the head of the agency.
    with pytest.raises(InvalidInput) as bad:
        h.decide(session, pid, date(2026, 3, 20), reasons="x", document_number="台市监信决〔2026〕1号")
    assert bad.value.code == "lists.signature_required"
    v = h.decide(session, pid, date(2026, 3, 20), outcome="dismiss", reasons="不符合列入条件")
    session.commit()
    assert v.status == "dismissed" and v.next_step is None
    for action in (
        lambda: service.exit_list(
            session, pid, actor=h.SCJG_OFFICER, reason="repaired", text="x", on=date(2026, 3, 21)
        ),
        lambda: service.withdraw(session, pid, actor=h.SCJG_OFFICER, text="x", on=date(2026, 3, 21)),
    ):
        with pytest.raises(Conflict) as exc:
            action()
        assert exc.value.details["state"] == "dismissed"
    assert h.list_events(session, pid) == ["list.proposed", "list.noticed", "list.dismissed"]


def test_a_failed_transition_writes_nothing(db: Database, city: h.City) -> None:
    with db.session() as s:
        pid = _propose(s, city, date(2026, 3, 2))
    with db.session() as s:
        steps, events = len(s.scalars(select(ListStep)).all()), h.list_events(s, pid)
    with pytest.raises(Conflict), db.session() as s:
        service.publish(s, pid, actor=h.SCJG_OFFICER, on=date(2026, 3, 3))
    with db.session() as s:
        assert len(s.scalars(select(ListStep)).all()) == steps and h.list_events(s, pid) == events


def test_departments_act_only_on_their_own_procedures(session: Session, city: h.City) -> None:
    pid = _propose(session, city, date(2026, 3, 2))
    with pytest.raises(Forbidden) as exc:
        service.notice(session, pid, actor=h.STHJ_OFFICER, on=date(2026, 3, 3))
    assert exc.value.code == "lists.not_your_department"
    # The credit office runs any procedure; a subject only states its case on its own.
    service.notice(session, pid, actor=h.OFFICE, on=date(2026, 3, 3))
    stranger = service.Actor("user:other", "subject", subject_id=city.other)
    with pytest.raises(Exception) as err:
        service.file_statement(session, pid, actor=stranger, text="x", on=date(2026, 3, 4))
    assert getattr(err.value, "code", "") == "lists.procedure_not_found"
    # A provider sees its department's procedures only.
    assert service.list_procedures(session, actor=h.STHJ_OFFICER).total == 0
    assert service.list_procedures(session, actor=h.SCJG_OFFICER).total == 1
    # The red list is decided by the credit office: a provider cannot propose it.
    with pytest.raises(Forbidden) as exc:
        h.propose(session, city.other, date(2026, 3, 2), list_type="red_list", reasons="评价优秀")
    assert exc.value.code == "lists.credit_office_decides"


def test_one_open_procedure_per_subject_and_list_and_withdrawal(session: Session, city: h.City) -> None:
    pid = _propose(session, city, date(2026, 3, 2))
    with pytest.raises(Conflict) as exc:
        _propose(session, city, date(2026, 3, 3))
    assert exc.value.code == "lists.already_in_procedure"
    v = service.withdraw(session, pid, actor=h.SCJG_OFFICER, text="据以提议的处罚已撤销", on=date(2026, 3, 3))
    assert v.status == "withdrawn"
    again = _propose(session, city, date(2026, 3, 4))
    assert again != pid
    # A natural person cannot be put on a list that is only for organisations.
    with pytest.raises(InvalidInput) as bad:
        h.propose(session, city.person, date(2026, 3, 2), list_type="watch_list", reasons="x")
    assert bad.value.code == "lists.subject_kind"


def test_lists_without_notice_or_publication(session: Session, city: h.City) -> None:
    # The red list (credit office, no notice): proposal → decision → publication.
    red = h.propose(
        session, city.other, date(2026, 3, 2), list_type="red_list", actor=h.OFFICE, reasons="综合评价优秀"
    )
    assert red.notice_due is None and red.next_step == "decision" and red.decision_due == date(2026, 3, 16)
    with pytest.raises(Conflict) as exc:
        service.notice(session, red.id, actor=h.OFFICE, on=date(2026, 3, 3))
    assert exc.value.code == "lists.step_not_applicable"
    v = h.decide(
        session,
        red.id,
        date(2026, 3, 3),
        actor=h.OFFICE,
        reasons="认定为守信激励对象",
        document_number="台信办〔2026〕1号",
    )
    assert v.ends_on == date(2027, 3, 2) and v.liable_persons == [] and v.next_step == "publication"
    # The watch list is never published.
    w = h.propose(session, city.company, date(2026, 3, 2), list_type="watch_list", reasons="多次一般失信")
    service.notice(session, w.id, actor=h.SCJG_OFFICER, on=date(2026, 3, 2))
    v = h.decide(
        session,
        w.id,
        date(2026, 3, 10),
        reasons="列为重点关注",
        document_number="台市监关〔2026〕1号",
        today=date(2026, 3, 10),
    )
    assert v.status == "listed" and v.publication_due is None and v.next_step == "rectification"
    with pytest.raises(Conflict) as exc:
        service.publish(session, w.id, actor=h.SCJG_OFFICER, on=date(2026, 3, 11))
    assert exc.value.code == "lists.step_not_applicable"
    # Exits the platform applies itself are not requested by people.
    with pytest.raises(Conflict) as exc:
        service.exit_list(
            session, w.id, actor=h.SCJG_OFFICER, reason="period_ended", text="x", on=date(2026, 3, 11)
        )
    assert exc.value.code == "lists.exit_automatic"
    with pytest.raises(InvalidInput) as bad:
        service.exit_list(
            session, w.id, actor=h.SCJG_OFFICER, reason="obligation_fulfilled", text="x", on=date(2026, 3, 11)
        )
    assert bad.value.code == "lists.exit_reason"
    v = service.exit_list(
        session,
        w.id,
        actor=h.SCJG_OFFICER,
        reason="reconsideration_revoked",
        text="行政复议撤销原处罚",
        document_number="台政复〔2026〕5号",
        on=date(2026, 4, 1),
    )
    assert v.status == "exited" and v.exit_reason_zh == "行政复议决定撤销"


def test_explicit_liable_persons_link_natural_person_subjects(session: Session, city: h.City) -> None:
    pid = _propose(session, city, date(2026, 3, 2))
    service.notice(session, pid, actor=h.SCJG_OFFICER, on=date(2026, 3, 2))
    listing = {"reasons": "r", "document_number": "d", "signed_by": "z"}
    with pytest.raises(InvalidInput):
        h.decide(
            session,
            pid,
            date(2026, 3, 20),
            **listing,
            liable_persons=[{"role": "controller", "subject_code": h.rh.uscc(2)}],
        )
    v = h.decide(
        session,
        pid,
        date(2026, 3, 20),
        **listing,
        liable_persons=[
            {"role": "controller", "subject_code": h.rh.ric(2)},
            {"role": "directly_responsible", "name": "赵六"},
        ],
    )
    assert [(p.role, p.name, p.subject_id) for p in v.liable_persons] == [
        ("controller", "李小明", city.person),
        ("directly_responsible", "赵六", None),
    ]
