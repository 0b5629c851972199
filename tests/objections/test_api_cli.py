"""Objections through the API (subject files, staff and provider act, anyone tracks by code) and
the command line (``file`` prints the procedure as JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.lists import helpers as h
from xinyong.cli import app
from xinyong.subjects import service as subjects

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def test_objection_over_the_api(
    session: Session, city: h.City, client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕301号", decision=date(2026, 9, 1))
    uscc = subjects.get_subject(session, city.company).uscc or ""
    me = auth_headers("subject", subject_code=uscc)
    office = auth_headers("credit_office")
    provider = auth_headers("provider", provider_code=h.SCJG)
    r = client.post(
        "/api/v1/objections",
        json={"record_id": rid, "ground": "wrong_content", "statement": "处罚内容有误"},
        headers=me,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "filed" and body["lookup_code"]
    assert [set(d) >= {"step", "due_date", "done_on"} for d in body["deadlines"]] == [True]
    oid = body["id"]
    bad = client.post(
        f"/api/v1/objections/{oid}/attachments",
        files={"file": ("证明.pdf", b"GIF89a....", "application/pdf")},
        headers=me,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "casework.attachment_type"
    ok = client.post(
        f"/api/v1/objections/{oid}/attachments", files={"file": ("scan.jpg", PDF, "image/jpeg")}, headers=me
    )
    assert ok.status_code == 201 and ok.json()["attachments"][0]["media_type"] == "application/pdf"
    att = ok.json()["attachments"][0]["id"]
    assert client.get(f"/api/v1/objections/{oid}/attachments/{att}", headers=office).content == PDF
    assert (
        client.post(
            f"/api/v1/objections/{oid}/steps", json={"action": "compare", "result": "matches"}, headers=me
        ).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/objections/{oid}/steps", json={"action": "compare", "result": "matches"}, headers=office
    )
    assert r.status_code == 200 and r.json()["status"] == "referred"
    r = client.post(
        f"/api/v1/objections/{oid}/steps",
        json={"action": "reply", "result": "not_holds", "text": "信息无误"},
        headers=provider,
    )
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    assert client.get("/api/v1/objections", headers=me).json()["total"] == 1
    track = client.get("/api/v1/objections/track", params={"code": body["lookup_code"]})
    assert track.status_code == 200 and track.json()["status_zh"] == "异议不成立，维持原信息"
    assert "statement" not in track.json()
    assert client.get("/api/v1/objections/track", params={"code": "XXXX-XXXX-XXXX"}).status_code == 404
    assert client.get("/api/v1/objections/0", headers=office).status_code == 422
    assert client.get(f"/api/v1/objections/{2**63}", headers=office).status_code == 422
    assert client.get(f"/api/v1/objections/{oid}").status_code == 401


def test_cli_file_prints_json_and_step(session: Session, city: h.City) -> None:
    rid = h.general_penalty(session, city, "台市监罚〔2026〕302号", decision=date(2026, 9, 1))
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "objections",
            "file",
            "--record",
            str(rid),
            "--ground",
            "beyond_period",
            "--statement",
            "已超过公示期限",
            "--received-on",
            "2026-11-02",
        ],
    )
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["status"] == "filed" and body["received_on"] == "2026-11-02" and body["channel"] == "window"
    assert body["deadlines"][0]["due_date"] == "2026-11-04"
    bad = runner.invoke(
        app, ["objections", "file", "--record", str(rid), "--ground", "nonsense", "--statement", "x"]
    )
    assert bad.exit_code == 2
    r = runner.invoke(
        app,
        [
            "objections",
            "step",
            str(body["id"]),
            "--action",
            "decide",
            "--outcome",
            "suspended",
            "--text",
            "无法核实",
            "--on",
            "2026-11-03",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "无法核实，已终止披露" in r.output
    listed = json.loads(runner.invoke(app, ["objections", "list", "--json"]).output)
    assert [i["status_zh"] for i in listed["items"]] == ["无法核实，已终止披露"]
