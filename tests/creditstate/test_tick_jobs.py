"""The daily tick: the CLI command and the background task inside ``serve``."""

from __future__ import annotations

import time
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.records import helpers as h
from xinyong.app import create_app
from xinyong.core.db import Database
from xinyong.core.settings import reset_settings
from xinyong.creditstate import service as creditstate
from xinyong.records import service as records


def _old_penalty(db: Database) -> tuple[int, int]:
    with db.session() as s:
        pid = h.provider(s)
        sid = h.enterprise(s, 1)
        out = h.store(
            s, sid, pid, h.penalty_row("罚〔2022〕1号", types=["暂扣许可证件"], decision=date(2022, 3, 1))
        )
    return sid, out.record_id


def test_cli_tick_ends_publicity_and_updates_the_state(db: Database) -> None:
    from xinyong.cli import app

    sid, rid = _old_penalty(db)
    runner = CliRunner()
    result = runner.invoke(app, ["tick", "--today", "2022-03-02"])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        assert records.get_record(s, rid).status == "in_force"
        assert creditstate.subject_summary(s, sid).records_in_force == 1

    result = runner.invoke(app, ["tick", "--today", "2030-01-01"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    with db.session() as s:
        assert records.get_record(s, rid).status == "publicity_ended"
        assert creditstate.subject_summary(s, sid).records_in_force == 0

    assert runner.invoke(app, ["tick", "--today", "1 Jan"]).exit_code != 0

    # The daily job also signs a ledger checkpoint over what it (and the stores above) appended.
    from xinyong.core import ledger

    with db.session() as s:
        assert ledger.list_checkpoints(s)
        assert ledger.verify(s).ok


def test_serve_runs_the_tick_in_the_background_when_enabled(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid, rid = _old_penalty(db)
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
    _sid, rid = _old_penalty(db)
    assert client.get("/api/v1/health").status_code == 200
    time.sleep(0.2)
    with db.session() as s:
        assert records.get_record(s, rid).status == "in_force"


def test_cli_tick_warns_from_november_while_next_years_notice_is_missing(db: Database) -> None:
    from xinyong.cli import app

    runner = CliRunner()
    quiet = runner.invoke(app, ["tick", "--today", "2026-10-31"])
    assert quiet.exit_code == 0 and "节假日安排通知" not in quiet.output
    warned = runner.invoke(app, ["tick", "--today", "2026-11-01"])
    assert warned.exit_code == 0, warned.output
    assert "尚未导入2027年国务院节假日安排通知" in warned.output
    assert "load-notice" in warned.output
