"""The daily tick as the background task inside ``serve`` (the command: ``tests/jobs``)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.records import helpers as h
from xinyong.app import create_app
from xinyong.core.db import Database
from xinyong.core.settings import reset_settings
from xinyong.creditstate import service as creditstate
from xinyong.records import service as records


def test_serve_runs_the_tick_in_the_background_when_enabled(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid, rid = h.old_penalty(db)
    monkeypatch.setenv("XINYONG_TICK_INTERVAL_SECONDS", "3600")
    reset_settings()
    with TestClient(create_app(db)):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with db.session() as s:
                if creditstate.subject_summary(s, sid).last_event_id:
                    break
            time.sleep(0.05)
    with db.session() as s:
        assert records.get_record(s, rid).status == "publicity_ended"
        assert creditstate.subject_summary(s, sid).records_in_force == 0


def test_the_background_tick_is_off_in_tests(client: TestClient, db: Database) -> None:
    _sid, rid = h.old_penalty(db)
    assert client.get("/api/v1/health").status_code == 200
    time.sleep(0.2)
    with db.session() as s:
        assert records.get_record(s, rid).status == "in_force"
