"""自主申报 end to end: filed by the subject with proof (type checked by content), verified or
rejected by the competent department with a letter; only a verified declaration becomes a record
(已核验) that counts in evaluation and shows as 经核实 on the public page."""

from __future__ import annotations

import base64
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework_fixtures import Keys
from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.declarations import service
from xinyong.evaluation import service as evaluation
from xinyong.ledger.models import LedgerEntry
from xinyong.records import service as records

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


def _declare(client: TestClient, headers: dict[str, str], **body: object) -> dict:
    payload = {
        "declaration_type": "public_welfare",
        "title": "2026年度慈善捐赠",
        "content": "向台州市慈善总会捐赠50万元",
        "department_code": h.SCJG,
        "attachments": [{"filename": "捐赠证明.pdf", "content_base64": base64.b64encode(PDF).decode()}],
    }
    r = client.post("/api/v1/declarations", json={**payload, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_verified_declaration_counts_and_shows_as_verified(
    client: TestClient, keys: Keys, session: Session
) -> None:
    d = _declare(client, keys.company)
    assert (d["status"], d["status_zh"], d["verified_mark"], d["record_id"]) == (
        "filed",
        "待核实",
        None,
        None,
    )
    assert d["lookup_code"] and [x["step"] for x in d["deadlines"]] == ["verify"]
    assert [a["media_type"] for a in d["attachments"]] == ["application/pdf"]
    # Not public, not counted, before verification.
    assert "2026年度慈善捐赠" not in _text(client.get(f"/subjects/{rh.uscc(1)}").text)
    step = f"/api/v1/declarations/{d['id']}/steps"
    assert (
        client.post(step, json={"action": "verify"}, headers=keys.sthj).status_code == 404
    )  # not its department
    assert client.post(step, json={"action": "verify"}, headers=keys.company).status_code == 403
    r = client.post(step, json={"action": "verify", "text": "与慈善总会票据核对一致"}, headers=keys.scjg)
    assert r.status_code == 200, r.text
    v = r.json()
    assert (v["status"], v["verified_mark"]) == ("verified", "经核实")
    (letter,) = v["letters"]
    assert letter["title"] == "自主申报信息核实结果告知书" and "信息属实" in letter["text"]
    assert session.scalars(select(LedgerEntry).where(LedgerEntry.ref == f"declaration:{d['id']}/s2")).one()
    record = records.get_record(session, v["record_id"])
    assert record.item_code == "self_declaration"
    assert record.versions[-1].data["verification_status"] == "verified"
    text = _text(client.get(f"/subjects/{rh.uscc(1)}").text)
    assert "2026年度慈善捐赠" in text and "经核实" in text
    evaluation.run_batch(session)
    session.commit()
    assert evaluation.explain(session, keys.city.company).features["public_welfare"] == "1"


def test_rejection_needs_a_reason_and_makes_no_record(
    client: TestClient, keys: Keys, session: Session
) -> None:
    d = _declare(client, keys.company, declaration_type="award", title="全国文明单位")
    step = f"/api/v1/declarations/{d['id']}/steps"
    r = client.post(step, json={"action": "reject"}, headers=keys.scjg)
    assert r.status_code == 422 and r.json()["error"]["code"] == "declarations.reason_required"
    r = client.post(step, json={"action": "reject", "text": "未查到该荣誉的授予文件"}, headers=keys.scjg)
    v = r.json()
    assert (v["status"], v["status_zh"], v["record_id"]) == ("rejected", "不予核实", None)
    assert "未查到该荣誉的授予文件" in v["letters"][0]["text"]
    assert (
        records.list_subject_records(
            session, keys.city.company, visibility="subject", item_codes=["self_declaration"]
        ).total
        == 0
    )
    assert client.post(step, json={"action": "verify"}, headers=keys.scjg).status_code == 409


def test_proof_is_required_and_checked_by_content(client: TestClient, keys: Keys) -> None:
    base = {"declaration_type": "qualification", "title": "ISO9001", "department_code": h.SCJG}
    r = client.post("/api/v1/declarations", json=base, headers=keys.company)
    assert r.status_code == 422 and r.json()["error"]["code"] == "declarations.proof_required"
    fake = [{"filename": "证书.jpg", "content_base64": base64.b64encode(b"GIF89a....").decode()}]
    r = client.post("/api/v1/declarations", json={**base, "attachments": fake}, headers=keys.company)
    assert r.status_code == 422 and r.json()["error"]["code"] == "casework.attachment_type"
    assert client.get("/api/v1/declarations", headers=keys.company).json()["total"] == 0


def test_verification_deadline_crosses_spring_festival(session: Session, keys: Keys) -> None:
    view = service.file_declaration(
        session,
        actor=service.Actor("user:t", "subject", subject_id=keys.city.company),
        declaration_type="qualification",
        title="高新技术企业证书",
        department_code=h.SCJG,
        attachments=[("证书.pdf", PDF)],
        on=date(2026, 2, 13),
    )
    # 10 working days after 2026-02-13 across 春节 (02-15…02-23 off; 02-14 and 02-28 worked): 03-05.
    assert [(d.step, d.due_date) for d in view.deadlines] == [("verify", date(2026, 3, 5))]
    late = service.overdue_queue(
        session, actor=service.Actor("key:x", "provider", provider_code=h.SCJG), today=date(2026, 3, 13)
    )
    assert [(o.declaration_id, o.working_days_late) for o in late] == [(view.id, 6)]
    assert (
        service.overdue_queue(
            session, actor=service.Actor("key:y", "provider", provider_code=h.STHJ), today=date(2026, 3, 13)
        )
        == []
    )
