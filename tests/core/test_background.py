"""The periodic background job helper behind ``xinyong serve``'s jobs: it runs, keeps running
after a failing run, logs what the job reports, and is off when its interval is 0."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database


def _job(
    interval: float, run_once: Callable[[Database], int], log_line: Callable[[int], str | None] | None = None
) -> PeriodicJob[int]:
    """A test job logging on ``xinyong.test.background``."""
    return PeriodicJob(
        name="xinyong-test",
        interval=lambda: interval,
        run_once=run_once,
        log=logging.getLogger("xinyong.test.background"),
        failure="test job failed",
        log_line=log_line,
    )


def _app(db: Database, job: PeriodicJob[int]) -> FastAPI:
    app = FastAPI(lifespan=periodic_lifespan(job))
    app.state.db = db
    return app


def test_a_job_runs_again_after_a_failure_and_logs_its_line(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[Database] = []
    third = threading.Event()

    def run_once(d: Database) -> int:
        runs.append(d)
        if len(runs) == 1:
            raise RuntimeError("boom")
        if len(runs) >= 3:
            third.set()
        return len(runs)

    job = _job(0.01, run_once, lambda n: f"test job: run {n}" if n == 2 else None)
    with caplog.at_level(logging.INFO, logger="xinyong.test.background"), TestClient(_app(db, job)):
        assert third.wait(10)
    assert runs[0] is db
    messages = [r.getMessage() for r in caplog.records if r.name == "xinyong.test.background"]
    assert messages[0] == "test job failed" and "test job: run 2" in messages
    assert "test job: run 3" not in messages
    # Stopped with the app: no more runs.
    count = len(runs)
    time.sleep(0.1)
    assert len(runs) == count


def test_an_interval_of_zero_turns_the_job_off(db: Database) -> None:
    runs: list[int] = []

    def run_once(d: Database) -> int:
        runs.append(1)
        return 0

    job = _job(0, run_once)
    with TestClient(_app(db, job)):
        time.sleep(0.1)
    assert runs == []
