"""Reading a subject's grade, reasons, history or what-if is a read of non-public data: a
regulator or credit office caller names an allowed purpose, every read leaves exactly one
query-log entry, and the subject sees who looked (谁查询了我)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import api_key_headers
from tests.evaluation import helpers as h
from tests.fixtures import cheap_hashing
from xinyong.evaluation import service as evaluation
from xinyong.querylog import service as querylog
from xinyong.records import service as records


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


def _entries(session: Session, subject_id: int) -> list[querylog.LogEntry]:
    session.expire_all()
    return querylog.search(session, querylog.LogFilter(subject_id=subject_id)).items


def test_grade_reads_need_a_purpose_and_are_logged(client: TestClient, session: Session) -> None:
    today = records.today_china()
    pid = h.provider(session)
    sid = h.enterprise(session, 1)
    rid = h.penalty(
        session, sid, pid, "台市监罚〔2026〕7号", decided=today - timedelta(days=10), types=["吊销许可证件"]
    )
    session.commit()
    evaluation.run_batch(session)
    session.commit()
    regulator = api_key_headers(session, "regulator")
    subject = api_key_headers(session, "subject", subject_code=h.uscc(1))
    grade = f"/api/v1/evaluation/subjects/{sid}"

    # No purpose, an unknown one, or one the role may not use: refused, and nothing is logged.
    missing = client.get(grade, headers=regulator)
    assert missing.status_code == 422, missing.text
    assert missing.json()["error"]["code"] == "purpose.required"
    assert {p["code"] for p in missing.json()["error"]["details"]["allowed"]} >= {"supervision"}
    assert client.get(f"{grade}/history", headers=regulator).status_code == 422
    assert client.get(f"{grade}/whatif", headers=regulator).status_code == 422
    assert client.get(grade, params={"purpose": "no_such"}, headers=regulator).status_code == 422
    wrong = client.get(grade, params={"purpose": "data_maintenance"}, headers=regulator)
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "purpose.not_allowed"
    assert _entries(session, sid) == []

    # With a purpose: the answer, and exactly one entry per read naming who, why and what.
    seen = client.get(grade, params={"purpose": "supervision"}, headers=regulator)
    assert seen.status_code == 200, seen.text
    assert any(rid in r["record_ids"] for r in seen.json()["reasons"])
    [entry] = _entries(session, sid)
    assert entry.role == "regulator" and entry.purpose == "supervision"
    assert entry.organisation == "测试部门 regulator" and entry.actor.startswith("key:")
    assert entry.action == "evaluation.view" and entry.subject_id == sid
    assert entry.items == ["administrative_penalty", "evaluation"]

    # The purpose may also come as the X-Purpose header (a Chinese name percent-encoded).
    history = client.get(
        f"{grade}/history", headers={**regulator, "X-Purpose": "%E7%9B%91%E7%AE%A1%E6%89%A7%E6%B3%95"}
    )
    assert history.status_code == 200 and history.json()[0]["grade"] == seen.json()["grade"]
    whatif = client.get(f"{grade}/whatif", params={"purpose": "supervision"}, headers=regulator)
    assert whatif.status_code == 200 and whatif.json()["records"][0]["record_id"] == rid
    entries = _entries(session, sid)
    assert [e.action for e in entries] == ["evaluation.whatif", "evaluation.history", "evaluation.view"]
    assert entries[1].items == ["evaluation"] and entries[1].purpose == "supervision"
    assert "administrative_penalty" in entries[0].items

    # The subject reads its own grade without naming a purpose (本人查询, logged as such) and sees
    # the regulator's three reads in 谁查询了我, not its own.
    own = client.get(grade, headers=subject)
    assert own.status_code == 200 and own.json()["grade"] == seen.json()["grade"]
    latest = _entries(session, sid)[0]
    assert latest.role == "subject" and latest.purpose == "self_query"
    viewers = client.get("/api/v1/me/viewers", headers=subject)
    assert viewers.status_code == 200, viewers.text
    body = viewers.json()
    assert body["total"] == 3
    assert {v["action"] for v in body["items"]} == {
        "evaluation.view",
        "evaluation.history",
        "evaluation.whatif",
    }
    assert all(
        v["organisation"] == "测试部门 regulator" and v["purpose_zh"] == "监管执法" for v in body["items"]
    )

    # Another subject's grade stays closed to a subject account, and the refusal logs nothing.
    other = h.enterprise(session, 2)
    session.commit()
    closed = client.get(f"/api/v1/evaluation/subjects/{other}", headers=subject)
    assert closed.status_code == 403 and closed.json()["error"]["code"] == "evaluation.not_own_subject"
    assert _entries(session, other) == []
