"""Checkpoints exist without anyone remembering: after a big submission, in serve's job, in tick."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from xinyong.core.db import Database
from xinyong.core.settings import reset_settings
from xinyong.jobs import run_daily
from xinyong.jobs.integrity import checkpoint_if_due, checkpoint_now
from xinyong.ledger import service as ledger
from xinyong.ledger.models import LedgerEntry


@pytest.fixture
def threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XINYONG_CHECKPOINT_AFTER_ENTRIES", "3")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def _append(db: Database, n: int) -> None:
    with db.session() as s:
        ledger.append_many(s, [("test.note", f"note:{i}", {"n": i}) for i in range(n)])


def test_a_submission_over_the_threshold_is_checkpointed(db: Database, threshold: None) -> None:
    _append(db, 2)
    with db.session() as s:
        checkpoint_if_due(s)
        assert ledger.list_checkpoints(s) == []  # 2 < 3: not yet
    _append(db, 1)
    with db.session() as s:
        checkpoint_if_due(s)
    with db.session() as s:
        assert [(c.first_seq, c.last_seq) for c in ledger.list_checkpoints(s)] == [(1, 3)]
        assert ledger.uncovered_entries(s) == 0


def test_serve_job_and_tick_sign_checkpoints(db: Database) -> None:
    _append(db, 4)
    assert checkpoint_now(db) == 1
    assert checkpoint_now(db) == 0  # nothing new
    _append(db, 1)
    result = run_daily(db)
    assert result.checkpoints >= 1
    with db.session() as s:
        head = s.scalar(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc()).limit(1))
        assert ledger.uncovered_entries(s) == 0 and head is not None


def test_serve_signs_a_checkpoint_every_interval(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from xinyong.app import create_app

    monkeypatch.setenv("XINYONG_CHECKPOINT_INTERVAL_MINUTES", "0.002")  # 0.12 s
    reset_settings()
    try:
        _append(db, 2)
        with TestClient(create_app(db)):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with db.session() as s:
                    if ledger.list_checkpoints(s):
                        break
                time.sleep(0.1)
            _append(db, 1)
            while time.monotonic() < deadline:
                with db.session() as s:
                    if ledger.uncovered_entries(s) == 0:
                        break
                time.sleep(0.1)
        with db.session() as s:
            assert [c.last_seq for c in ledger.list_checkpoints(s)] == [2, 3]
    finally:
        monkeypatch.undo()
        reset_settings()
