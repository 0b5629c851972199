"""信用承诺 end to end through the API: signed by the subject (identity, time, ledger entry, the
承诺书 from the ruleset template), published as a credit_commitment record at once, the 容缺
materials supplied (type checked by content), verified by the accepting department; a breach
corrects the record (未履约) and counts in evaluation; department-sent commitments in the same view."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework_fixtures import Keys
from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.commitments import service
from xinyong.core.calendar import load_calendar
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.evaluation import service as evaluation
from xinyong.ledger.models import LedgerEntry
from xinyong.records import service as records

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _sign(client: TestClient, headers: dict[str, str], **body: str) -> dict:
    payload = {
        "commitment_type": "accept_with_gaps",
        "matter": "食品经营许可证核发（容缺补齐健康证明）",
        "department_code": h.SCJG,
    }
    r = client.post("/api/v1/commitments", json={**payload, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_sign_supply_and_breach(client: TestClient, keys: Keys, session: Session) -> None:
    today = today_china()
    c = _sign(client, keys.company)
    assert (c["status"], c["status_zh"], c["commitment_type_zh"]) == ("signed", "履约中", "容缺受理型")
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", c["lookup_code"])
    # Signed by the logged-in identity, at a time with its offset, with the template's text.
    assert c["signed_by"].startswith("key:") and c["signed_on"] == today.isoformat()
    assert datetime.fromisoformat(c["signed_at"]).utcoffset() is not None
    due = load_calendar(session).deadline(today, 20)
    assert c["deadlines"] == [
        {
            "step": "supply",
            "step_zh": "补齐容缺材料",
            "due_date": due.isoformat(),
            "done_on": None,
            "cancelled": False,
            "overdue": False,
            "escalated_on": None,
        }
    ]
    assert c["letter_number"] == f"台信诺容〔{today.year}〕1号"
    assert "台州市椒江区安信机械有限公司" in c["text"] and f"于{due.isoformat()}前" in c["text"]
    assert session.scalars(select(LedgerEntry).where(LedgerEntry.ref == f"commitment:{c['id']}/s1")).one()
    # Published at once as a record of the subject's file (履约中), and on its public page.
    record = records.get_record(session, c["record_id"])
    assert (record.item_code, record.category) == ("credit_commitment", "信用承诺")
    assert record.versions[-1].data["fulfilment_status"] == "in_progress"
    assert "食品经营许可证核发" in client.get(f"/subjects/{rh.uscc(1)}").text

    # Others see nothing of it; the other department cannot verify it.
    assert client.get(f"/api/v1/commitments/{c['id']}", headers=keys.other).status_code == 404
    step = f"/api/v1/commitments/{c['id']}/steps"
    assert (
        client.post(step, json={"action": "verify", "outcome": "fulfilled"}, headers=keys.sthj).status_code
        == 404
    )
    # Supplying: only files that are PDF/JPG/PNG by their content.
    fake = {
        "action": "supply",
        "attachments": [{"filename": "健康证明.pdf", "content_base64": _b64(b"not a pdf")}],
    }
    r = client.post(step, json=fake, headers=keys.company)
    assert r.status_code == 422 and r.json()["error"]["code"] == "casework.attachment_type"
    good = {
        "action": "supply",
        "text": "补交健康证明",
        "attachments": [{"filename": "健康证明.png", "content_base64": _b64(PNG)}],
    }
    r = client.post(step, json=good, headers=keys.company)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["status"] == "supplied" and [a["media_type"] for a in s["attachments"]] == ["image/png"]
    assert [(d["step"], d["done_on"]) for d in s["deadlines"]] == [
        ("supply", today.isoformat()),
        ("verify_supplied", None),
    ]
    # The accepting department verifies: a breach needs its reason.
    r = client.post(step, json={"action": "verify", "outcome": "breached"}, headers=keys.scjg)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "text"
    r = client.post(
        step, json={"action": "verify", "outcome": "breached", "text": "健康证明系伪造"}, headers=keys.scjg
    )
    assert r.status_code == 200, r.text
    v = r.json()
    assert (v["status"], v["status_zh"], v["reason"]) == ("breached", "未履约", "健康证明系伪造")
    assert [st["action_zh"] for st in v["steps"]] == ["签署承诺", "补齐容缺材料", "核查履约情况"]
    # The breach is a credit record: the record's new version says 未履约 …
    record = records.get_record(session, c["record_id"])
    assert [x.change for x in record.versions] == ["created", "corrected"]
    assert record.versions[-1].data["fulfilment_status"] == "breached"
    # … and evaluation counts it.
    evaluation.run_batch(session)
    session.commit()
    assert evaluation.explain(session, keys.city.company).features["commitments_broken"] == "1"
    # A closed commitment takes no more steps.
    r = client.post(step, json={"action": "verify", "outcome": "fulfilled"}, headers=keys.scjg)
    assert r.status_code == 409 and r.json()["error"]["code"] == "commitments.invalid_transition"


def test_verification_deadline_crosses_national_day(session: Session, keys: Keys) -> None:
    view = service.sign(
        session,
        actor=service.Actor("user:t", "subject", subject_id=keys.city.company),
        commitment_type="approval_substitute",
        matter="建筑业企业资质证书（告知承诺）",
        department_code=h.SCJG,
        on=date(2026, 9, 28),
    )
    # 20 working days after 2026-09-28 across 国庆 (10-01…10-07 off, 10-10 worked): 10-30.
    assert [(d.step, d.due_date) for d in view.deadlines] == [("verify", date(2026, 10, 30))]
    assert view.valid_until == date(2027, 9, 27)
    late = service.overdue_queue(session, today=date(2026, 11, 16))
    assert [(o.commitment_id, o.step, o.working_days_late) for o in late] == [(view.id, "verify", 11)]
    assert service.escalate(session, date(2026, 11, 16)) == 1
    assert service.escalate(session, date(2026, 11, 17)) == 0  # once


def test_department_sent_commitments_appear_in_the_same_view(session: Session, keys: Keys) -> None:
    company = keys.city.company
    rh.store(
        session,
        company,
        keys.city.providers[h.STHJ],
        {
            "subject_name": "台州市椒江区安信机械有限公司",
            "document_number": "CN-331002-2026-000777",
            "commitment_type": "voluntary",
            "commitment_matter": "排污许可证后执行报告按时提交",
            "decision_date": date(2026, 6, 1),
            "accepting_unit": "台州市生态环境局",
            "fulfilment_status": "fulfilled",
        },
        item_code="credit_commitment",
    )
    signed = service.sign(
        session,
        actor=service.Actor("user:t", "subject", subject_id=company),
        commitment_type="voluntary",
        matter="诚信经营承诺",
        department_code=h.SCJG,
    )
    session.commit()
    view = service.subject_commitments(session, company)
    assert [c.id for c in view.signed] == [signed.id]
    by_doc = {c.document_number: c for c in view.sent}
    assert (
        by_doc["CN-331002-2026-000777"].fulfilment_zh == "已履约"
        and not by_doc["CN-331002-2026-000777"].signed_here
    )
    assert by_doc[signed.letter_number or ""].signed_here


def test_signing_refuses_what_it_cannot_sign(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/v1/commitments",
        json={"commitment_type": "whatever", "matter": "x", "department_code": h.SCJG},
        headers=keys.company,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "commitments.bad_type"
    r = client.post(
        "/api/v1/commitments",
        json={"commitment_type": "voluntary", "matter": "x", "department_code": "NOPE"},
        headers=keys.company,
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "department_code"
    # A department cannot sign for a subject.
    r = client.post(
        "/api/v1/commitments",
        json={"commitment_type": "voluntary", "matter": "x", "department_code": h.SCJG},
        headers=keys.scjg,
    )
    assert r.status_code == 403
    assert client.get("/api/v1/commitments/templates").json()[0]["template_zh"]


def test_the_daily_job_escalates_an_overdue_verification(db: Database, keys: Keys) -> None:
    from xinyong.jobs import run_daily

    with db.session() as s:
        view = service.sign(
            s,
            actor=service.Actor("user:t", "subject", subject_id=keys.city.company),
            commitment_type="approval_substitute",
            matter="公共场所卫生许可（告知承诺）",
            department_code=h.SCJG,
            on=date(2026, 9, 28),
        )
        s.commit()
    result = run_daily(db, date(2026, 11, 16))
    assert result.rights_escalated >= 1
    with db.session() as s:
        (deadline,) = service.get_commitment(s, view.id).deadlines
        assert deadline.escalated_on == date(2026, 11, 16)
        assert service.get_commitment(s, view.id).steps[-1].action_zh == "督办"
