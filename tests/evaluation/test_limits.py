"""Issue 20 §2: evaluation cannot fill the store (300 runs grew it from 25 MB to 1.2 GB) and an
engine this server lacks answers 503, not 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.helpers import api_key_headers
from tests.evaluation import helpers as h
from xinyong.core.errors import Conflict
from xinyong.core.settings import reset_settings
from xinyong.evaluation import engine as eng
from xinyong.evaluation import limits, service
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.records import service as records


def _city(session: Session) -> None:
    pid = h.provider(session)
    h.enterprise(session, 1)
    other = h.enterprise(session, 2)
    h.penalty(
        session,
        other,
        pid,
        "台市监罚〔2026〕5号",
        decided=records.today_china() - timedelta(days=10),
        types=["罚款"],
    )
    session.commit()


def test_spark_without_pyspark_is_503_with_a_clear_message(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _city(session)
    office = api_key_headers(session, "credit_office")
    monkeypatch.setattr(eng, "spark_available", lambda: False)
    r = client.post("/api/v1/evaluation/runs", json={"engine": "spark"}, headers=office)
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "evaluation.engine_unavailable" and error["details"]["field"] == "engine"
    assert "Spark" in error["message_zh"] and "duckdb" in error["message_zh"]
    with session.begin():
        assert session.scalar(select(EvaluationRun.id)) is None  # nothing was started
    # An unknown engine name never reaches the service (the schema lists the two).
    assert client.post("/api/v1/evaluation/runs", json={"engine": "x"}, headers=office).status_code == 422


def test_runs_through_the_api_are_rate_limited(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _city(session)
    office = api_key_headers(session, "credit_office")
    assert client.post("/api/v1/evaluation/runs", json={}, headers=office).status_code == 201
    again = client.post("/api/v1/evaluation/runs", json={}, headers=office)
    assert again.status_code == 429
    error = again.json()["error"]
    assert error["code"] == "evaluation.rate_limited" and 1 <= error["details"]["retry_after"] <= 60
    # The interval is a setting: 0 turns the limit off.
    monkeypatch.setenv("XINYONG_EVALUATION_RUN_MIN_INTERVAL_SECONDS", "0")
    reset_settings()
    assert client.post("/api/v1/evaluation/runs", json={}, headers=office).status_code == 201


def test_one_run_at_a_time_per_model(session: Session) -> None:
    _city(session)
    with limits.one_run_per_model(["enterprise"]), pytest.raises(Conflict) as exc:
        service.run_batch(session, as_of=h.AS_OF)
    assert exc.value.code == "evaluation.run_in_progress"
    session.rollback()
    assert service.run_batch(session, as_of=h.AS_OF)  # free again once the first is done


def test_old_runs_keep_grades_and_drop_their_intermediates(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _city(session)
    monkeypatch.setenv("XINYONG_EVALUATION_KEEP_DETAILED_RUNS", "2")
    reset_settings()
    run_ids = []
    for _ in range(4):
        run_ids.append(
            next(r.id for r in service.run_batch(session, as_of=h.AS_OF) if r.model_code == "enterprise")
        )
        session.commit()
    rows = (
        session.execute(select(EvaluationResult).where(EvaluationResult.run_id.in_(run_ids))).scalars().all()
    )
    by_run: dict[int, list[EvaluationResult]] = {}
    for r in rows:
        by_run.setdefault(r.run_id, []).append(r)
    for run_id in run_ids:
        assert len(by_run[run_id]) == 2 and all(r.grade for r in by_run[run_id])  # grade history kept
    for run_id in run_ids[:2]:
        assert all(r.reasons == [] and r.features == {} and r.points == {} for r in by_run[run_id])
    for run_id in run_ids[2:]:
        assert any(r.features for r in by_run[run_id])
    # The subject's current grade still explains itself.
    assert service.history(session, 1)
