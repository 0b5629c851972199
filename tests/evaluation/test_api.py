"""The HTTP API: who may see a grade (the subject itself, credit office, regulators), who may run
evaluations and drafts (credit office), and that published models are public rules."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import api_key_headers
from tests.evaluation import helpers as h
from tests.fixtures import cheap_hashing
from xinyong.records import service as records


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch, rate_limit_off=False)


def test_grade_access_runs_drafts_and_public_models(client: TestClient, session: Session) -> None:
    today = records.today_china()
    pid = h.provider(session)
    mine, other = h.enterprise(session, 1), h.enterprise(session, 2)
    rid = h.penalty(
        session, other, pid, "台市监罚〔2026〕5号", decided=today - timedelta(days=10), types=["吊销许可证件"]
    )
    session.commit()
    office = api_key_headers(session, "credit_office")
    regulator = api_key_headers(session, "regulator")
    subject = api_key_headers(session, "subject", subject_code=h.uscc(1))
    bank = api_key_headers(session, "bank")

    # Only the credit office runs evaluations.
    assert client.post("/api/v1/evaluation/runs", json={}, headers=regulator).status_code == 403
    runs = client.post("/api/v1/evaluation/runs", json={"engine": "duckdb"}, headers=office)
    assert runs.status_code == 201, runs.text
    by_model = {r["model_code"]: r for r in runs.json()}
    assert by_model["enterprise"]["subjects"] == 2 and by_model["small_entities"]["subjects"] == 0

    # A grade with reasons: the subject itself, the credit office and regulators; nobody else.
    own = client.get(f"/api/v1/evaluation/subjects/{mine}", headers=subject)
    assert own.status_code == 200 and own.json()["grade"] == "B"
    assert client.get(f"/api/v1/evaluation/subjects/{other}", headers=subject).status_code == 403
    seen = client.get(
        f"/api/v1/evaluation/subjects/{other}", params={"purpose": "supervision"}, headers=regulator
    ).json()
    assert seen["cap"] == "serious_penalty" or seen["grade"] == "D"
    assert any(rid in r["record_ids"] for r in seen["reasons"])
    assert client.get(f"/api/v1/evaluation/subjects/{other}", headers=bank).status_code == 403
    assert client.get(f"/api/v1/evaluation/subjects/{other}").status_code == 401
    assert (
        client.get(f"/api/v1/evaluation/subjects/{mine}/history", headers=subject).json()[0]["grade"] == "B"
    )
    whatif = client.get(
        f"/api/v1/evaluation/subjects/{other}/whatif", params={"purpose": "supervision"}, headers=office
    ).json()
    assert whatif["records"][0]["record_id"] == rid and whatif["records"][0]["ends_on"]

    # Published models are public rules; drafts are the credit office's.
    models = client.get("/api/v1/evaluation/models").json()
    assert {m["code"] for m in models} == {"enterprise", "small_entities"}
    detail = client.get(f"/api/v1/evaluation/models/{models[0]['id']}").json()
    assert detail["content"]["dimensions"]
    raw = json.loads(
        json.dumps(
            yaml.safe_load((h.models_dir() / "enterprise.yaml").read_text(encoding="utf-8")), default=str
        )
    )
    raw["version"] = "draft-1"
    raw["dimensions"][0]["weight"] = 0.5
    bad = client.post("/api/v1/evaluation/drafts", json={"content": raw}, headers=office)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["rule"] == "weights_sum"
    raw["dimensions"][0]["weight"] = 0.15
    text = yaml.safe_dump(raw, allow_unicode=True)
    assert client.post("/api/v1/evaluation/drafts", json={"yaml": text}, headers=regulator).status_code == 403
    draft = client.post("/api/v1/evaluation/drafts", json={"yaml": text}, headers=office)
    assert draft.status_code == 201, draft.text
    draft_id = draft.json()["id"]
    assert client.get(f"/api/v1/evaluation/models/{draft_id}").status_code == 404  # not public
    preview = client.post(f"/api/v1/evaluation/drafts/{draft_id}/preview", json={}, headers=office)
    assert preview.status_code == 200 and preview.json()["run"]["kind"] == "draft"
    under = client.get(
        f"/api/v1/evaluation/subjects/{mine}/under/{draft_id}",
        params={"purpose": "data_maintenance"},
        headers=office,
    )
    assert under.status_code == 200 and under.json()["model_version"] == "draft-1"
    run_id = by_model["enterprise"]["id"]
    report = client.get(
        f"/api/v1/evaluation/runs/{run_id}", params={"compare_to": run_id}, headers=office
    ).json()
    assert report["migration"] and report["psi"]
    assert client.get("/api/v1/evaluation/backtest", headers=office).json()["synthetic"] is True


def test_models_dir_exists() -> None:
    assert Path(h.models_dir(), "enterprise.yaml").is_file()
