"""Casework: deadlines in working days across holidays, overdue and escalation, steps in the
ledger, lookup codes, attachments by content, numbered letters."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.casework import service as casework
from xinyong.casework.rules import CaseRules
from xinyong.core.errors import InvalidInput, TooLarge
from xinyong.ledger.models import LedgerEntry

RULES = CaseRules.model_validate(
    {
        "default_schedule": "demo",
        "schedules": [
            {
                "code": "demo",
                "name_zh": "测试方案",
                "effective_from": "2020-01-01",
                "source": "《台州市企业信用促进条例》第十三条",
                "steps": {
                    "compare": {"within": 2, "after": "filed", "name_zh": "比对", "escalate_after": 2},
                    "reply": {"within": 5, "after": "compare", "name_zh": "回复", "party": "provider"},
                    "supply": {"within": 5, "after": "filed", "name_zh": "补正", "party": "applicant"},
                },
            }
        ],
        "attachments": {
            "max_bytes": 1000,
            "max_files": 2,
            "types": ["pdf", "jpeg", "png"],
            "effective_from": "2020-01-01",
            "source": "测试",
        },
        "letters": {
            "done": {
                "title_zh": "决定书",
                "number_prefix": "台信异",
                "template_zh": "{applicant}：经核查，{result}。",
                "source": "《台州市企业信用促进条例》第十三条",
            }
        },
    }
)
SCHEDULE = RULES.schedule(None, date(2026, 1, 1))
PDF = b"%PDF-1.7\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2026, 9, 30), date(2026, 10, 9)),  # 国庆 2026: 10-01…10-07 off
        (date(2026, 2, 13), date(2026, 2, 24)),  # 春节 2026
        (date(2027, 2, 5), date(2027, 2, 12)),  # 春节 2027 (provisional year)
        (date(2027, 9, 30), date(2027, 10, 7)),  # 国庆 2027 (provisional: 10-01…10-05 off)
    ],
)
def test_deadline_crosses_holidays(session: Session, start: date, due: date) -> None:
    ref = casework.CaseRef("objection", 1)
    row = casework.open_deadline(session, ref, SCHEDULE, "compare", start)
    assert row.due_date == due
    assert row.calendar_basis == ("provisional" if start.year == 2027 else None)
    views = casework.deadlines(session, ref, SCHEDULE, due)
    assert [(v.step, v.step_zh, v.due_date, v.done_on, v.overdue) for v in views] == [
        ("compare", "比对", due, None, False)
    ]


def test_overdue_escalates_once_and_skips_applicant_steps(session: Session) -> None:
    ref = casework.CaseRef("objection", 7, None)
    casework.open_deadline(session, ref, SCHEDULE, "compare", date(2026, 9, 29))  # due 10-08
    casework.open_deadline(session, ref, SCHEDULE, "supply", date(2026, 9, 1))
    items = casework.overdue(session, "objection", date(2026, 10, 9), {7: SCHEDULE})
    assert [(i.step, i.working_days_late, i.escalated) for i in items] == [("compare", 1, False)]
    assert casework.escalate_overdue(session, "objection", date(2026, 10, 9), {7: SCHEDULE}, {}, {}) == []
    done = casework.escalate_overdue(
        session, "objection", date(2026, 10, 12), {7: SCHEDULE}, {}, {7: "filed"}
    )
    # 10-09, 10-10 (a Saturday worked for 国庆) and 10-12: three working days late
    assert [(d.step, d.working_days_late) for d in done] == [("compare", 3)]
    assert casework.escalate_overdue(session, "objection", date(2026, 10, 13), {7: SCHEDULE}, {}, {}) == []
    history = casework.steps(session, ref, {"escalate": "督办"})
    assert [(s.action_zh, s.to_status) for s in history] == [("督办", "filed")]
    casework.close_deadline(session, ref, "compare", date(2026, 10, 13))
    assert casework.overdue(session, "objection", date(2026, 10, 14), {7: SCHEDULE}) == []


def test_step_history_writes_the_ledger(session: Session) -> None:
    ref = casework.CaseRef("repair", 3, None)
    casework.record_step(
        session,
        ref,
        action="file",
        from_status=None,
        to_status="filed",
        on=date(2026, 3, 2),
        actor="user:a",
        text="理由",
    )
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.ref == "repair:3/s1")).one()
    assert entry.kind == "repair.file"
    with pytest.raises(InvalidInput) as exc:
        casework.check_step_date(session, ref, date(2026, 3, 1), date(2026, 3, 5))
    assert exc.value.code == "casework.date_before_previous_step"
    with pytest.raises(InvalidInput):
        casework.check_step_date(session, ref, date(2026, 3, 6), date(2026, 3, 5))


def test_lookup_code_finds_its_case_and_nothing_else(session: Session) -> None:
    ref = casework.CaseRef("objection", 11)
    code = casework.issue_lookup_code(session, ref)
    assert len(code) == 14 and code.count("-") == 2
    assert not set(code.replace("-", "")) & set("01OIL")
    assert casework.find_lookup(session, code) == ("objection", 11)
    assert casework.find_lookup(session, code.lower().replace("-", " ")) == ("objection", 11)
    assert casework.lookup_code_of(session, ref) == code
    assert casework.find_lookup(session, "AAAA-AAAA-AAAA") is None
    assert casework.find_lookup(session, "' or 1=1 --") is None
    other = casework.issue_lookup_code(session, casework.CaseRef("objection", 12))
    assert other != code


def test_attachments_are_checked_by_content(session: Session) -> None:
    ref = casework.CaseRef("objection", 5)
    view = casework.add_attachment(session, ref, "证明.png", PDF, RULES.attachments, "user:a")
    assert view.media_type == "application/pdf" and len(view.sha256) == 64
    with pytest.raises(InvalidInput) as exc:
        casework.add_attachment(
            session, ref, "证明.pdf", b"MZ\x90\x00 not a pdf", RULES.attachments, "user:a"
        )
    assert exc.value.code == "casework.attachment_type"
    with pytest.raises(TooLarge):
        casework.add_attachment(session, ref, "大.pdf", PDF + b"x" * 2000, RULES.attachments, "user:a")
    casework.add_attachment(session, ref, "照片.jpg", JPG, RULES.attachments, "user:a")
    with pytest.raises(InvalidInput) as exc:
        casework.add_attachment(session, ref, "第三个.png", PNG, RULES.attachments, "user:a")
    assert exc.value.code == "casework.too_many_attachments"
    listed = casework.attachments(session, ref)
    assert [a.media_type for a in listed] == ["application/pdf", "image/jpeg"]
    _, content = casework.attachment_content(session, ref, listed[0].id)
    assert content == PDF


def test_letters_are_numbered_per_year_and_kept(session: Session) -> None:
    ref = casework.CaseRef("objection", 9)
    tpl = RULES.letter("done")
    first = casework.issue_letter(
        session, ref, "done", tpl, {"applicant": "甲公司", "result": "予以更正"}, date(2026, 5, 6)
    )
    second = casework.issue_letter(
        session, ref, "done", tpl, {"applicant": "甲公司", "result": "维持"}, date(2026, 5, 7)
    )
    nxt = casework.issue_letter(
        session, ref, "done", tpl, {"applicant": "甲公司", "result": "维持"}, date(2027, 1, 4)
    )
    assert (first.number, second.number, nxt.number) == (
        "台信异〔2026〕1号",
        "台信异〔2026〕2号",
        "台信异〔2027〕1号",
    )
    assert first.text == "甲公司：经核查，予以更正。"
    assert [x.number for x in casework.letters(session, ref)] == [first.number, second.number, nxt.number]
    with pytest.raises(InvalidInput):
        casework.issue_letter(session, ref, "done", tpl, {"applicant": "甲公司"}, date(2026, 5, 6))
