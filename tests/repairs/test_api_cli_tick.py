"""Credit repair through the API and the command line, and carried out by the daily job
(``xinyong tick``): publicity ended, the credit state re-derived and the subject re-graded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.lists import helpers as h
from xinyong import jobs
from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.records import service as records
from xinyong.subjects import service as subjects


def _penalty(session: Session, city: h.City, doc: str) -> tuple[int, date]:
    rid = h.general_penalty(session, city, doc, decision=date(2025, 3, 3))
    min_end = records.get_record(session, rid).publicity_min_end
    assert min_end is not None
    return rid, min_end + timedelta(days=1)


def test_repair_over_the_api(
    session: Session, city: h.City, client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    rid, _ = _penalty(session, city, "台市监罚〔2025〕501号")
    mine = auth_headers("subject", subject_code=subjects.get_subject(session, city.company).uscc or "")
    agency = auth_headers("provider", provider_code=h.SCJG)
    other_agency = auth_headers("provider", provider_code=h.STHJ)
    e = client.get("/api/v1/repairs/eligibility", params={"record_id": rid}, headers=mine)
    assert e.status_code == 200 and e.json()["message_zh"] == "可申请"
    assert client.get("/api/v1/repairs/eligibility", params={"record_id": 0}, headers=mine).status_code == 422
    r = client.post(
        "/api/v1/repairs",
        json={
            "record_id": rid,
            "statement": "已缴清罚款",
            "commitment": True,
            "materials": ["performance", "rectification"],
        },
        headers=mine,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert {"status", "lookup_code", "deadlines"} <= set(body) and body["status"] == "filed"
    assert not any("fee" in k for k in body)
    rep = body["id"]
    assert (
        client.post(
            f"/api/v1/repairs/{rep}/steps", json={"action": "accept"}, headers=other_agency
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/repairs/{rep}/steps", json={"action": "accept"}, headers=agency).json()[
            "status"
        ]
        == "accepted"
    )
    r = client.post(
        f"/api/v1/repairs/{rep}/steps",
        json={"action": "decide", "outcome": "granted", "text": "准予"},
        headers=agency,
    )
    assert r.status_code == 200 and r.json()["status"] == "granted"
    assert client.get("/api/v1/repairs", headers=other_agency).json()["total"] == 0
    assert client.get("/api/v1/repairs", headers=agency).json()["total"] == 1
    t = client.get("/api/v1/repairs/track", params={"code": body["lookup_code"]})
    assert t.status_code == 200 and t.json()["status_zh"] == "准予修复，待停止公示"


def test_cli_and_the_daily_job(session: Session, city: h.City, db: Database) -> None:
    rid, _ = _penalty(session, city, "台市监罚〔2025〕502号")
    runner = CliRunner()
    r = runner.invoke(app, ["repairs", "eligibility", "--record", str(rid)])
    assert r.exit_code == 0 and r.output.startswith("可申请")
    r = runner.invoke(
        app,
        [
            "repairs",
            "file",
            "--record",
            str(rid),
            "--statement",
            "已整改",
            "--commitment",
            "--material",
            "performance",
            "--material",
            "rectification",
        ],
    )
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["status"] == "filed" and body["channel"] == "window"
    assert runner.invoke(app, ["repairs", "file", "--record", str(rid), "--statement", "x"]).exit_code == 2
    assert runner.invoke(app, ["repairs", "step", str(body["id"]), "--action", "accept"]).exit_code == 0
    r = runner.invoke(
        app,
        ["repairs", "step", str(body["id"]), "--action", "decide", "--outcome", "granted", "--text", "准予"],
    )
    assert r.exit_code == 0 and "准予修复，待停止公示" in r.output
    session.commit()
    result = jobs.run_daily(db, records.today_china())
    assert result.repairs_applied == 1
    assert result.evaluation_events >= 1  # the re-grading consumer saw the change
    with db.session() as s:
        assert records.get_record(s, rid).status == "publicity_ended"
        state = creditstate.subject_summary(s, city.company)
        assert state.negative_in_force == 0
    assert "已修复" in runner.invoke(app, ["repairs", "show", str(body["id"])]).output
