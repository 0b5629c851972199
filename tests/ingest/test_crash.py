"""Crash safety: a process ingesting a big file is killed with SIGKILL part-way. Nothing derived
from the half-applied submission shows; recovery finishes it to the same final state as one clean
run, the ledger verifies, and sending the file again changes no record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, RECEIVED_AT, penalty_row, to_csv, uscc
from xinyong.core import events
from xinyong.core.db import Database, make_engine
from xinyong.ingest import service
from xinyong.ledger import service as ledger

ROWS = 1200
TABLES = ("records", "record_versions", "subjects", "credit_states", "quarantine_rows")

# The child ingests through the real service and pauses after its first batch (its 1000 rows are
# then committed, the submission ``applying``) so the kill lands mid-way, deterministically.
CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from xinyong.core.db import get_database
    from xinyong.ingest import service

    def progress(done, total):
        print(f"progress {done}", flush=True)
        time.sleep(600)

    with get_database().session() as s, open(sys.argv[1], "rb") as fh:
        service.submit_file(s, "tz_scjgj", "administrative_penalty", fh, "big.csv",
                            progress=progress, received_at=datetime.fromisoformat(sys.argv[2]))
    print("finished", flush=True)
    """
)


def _big_file(tmp_path: Path) -> Path:
    rows = []
    for i in range(ROWS):
        s = i % 40  # many penalties on a few dozen subjects, as a department's monthly export
        row = penalty_row(i, CF_XDR_MC=f"台州市椒江区批量{s}号有限公司", CF_XDR_SHXYM=uscc(s))
        if i % 150 == 0:
            row["CF_NR_FK"] = "-1"  # some rows go to quarantine
        rows.append(row)
    path = tmp_path / "big.csv"
    path.write_bytes(to_csv(rows, encoding="gbk"))
    return path


def _counts(session: Session) -> dict[str, int]:
    out = {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
    out["submissions_done"] = int(
        session.execute(text("SELECT count(*) FROM submissions WHERE status = 'done'")).scalar_one()
    )
    return out


def _ingest(session: Session, path: Path) -> service.SubmissionResult:
    with path.open("rb") as fh:
        return service.submit_file(session, "tz_scjgj", PENALTY, fh, "big.csv", received_at=RECEIVED_AT)


def _child_env(db: Database) -> dict[str, str]:
    env = dict(os.environ)
    env["XINYONG_DATABASE_URL"] = db.engine.url.render_as_string(hide_password=False)
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            env["XINYONG_DATABASE_SCHEMA"] = str(conn.execute(text("SELECT current_schema()")).scalar_one())
    else:
        env["XINYONG_DATABASE_SCHEMA"] = ""
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def test_kill_9_mid_submission_then_rerun(
    db: Database,
    session: Session,
    provider: service.ProviderInfo,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    path = _big_file(tmp_path)
    before = _counts(session)
    session.rollback()

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), RECEIVED_AT.isoformat()],
        env=_child_env(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("progress 1000"), (line, child.stderr.read() if child.stderr else "")
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    # Half-applied: the first batch is committed, the submission is ``applying`` and nothing
    # derived from it shows (its events are held: no credit state moved).
    half = _counts(session)
    assert half["credit_states"] == before["credit_states"]
    assert half["submissions_done"] == before["submissions_done"]
    assert service.applying(session) != []
    assert events.horizon(session) is not None
    session.rollback()

    finished = service.recover(session)
    assert len(finished) == 1 and finished[0].status == "done"
    assert (finished[0].rows_total, finished[0].rows_created, finished[0].rows_rejected) == (
        ROWS,
        ROWS - 8,
        8,
    )
    assert service.applying(session) == [] and events.horizon(session) is None
    assert ledger.verify(session).ok
    after = _counts(session)
    session.rollback()

    # One clean run into a fresh store gives the same records, versions, subjects and states.
    (tmp_path / "clean.db").write_bytes(Path(request.getfixturevalue("_sqlite_template")).read_bytes())
    clean_db = Database(make_engine(url=f"sqlite:///{tmp_path / 'clean.db'}", schema=""))
    try:
        with clean_db.session() as clean:
            service.create_provider(clean, "tz_scjgj", "台州市市场监督管理局", None, [PENALTY])
        with clean_db.session() as clean:
            _ingest(clean, path)
            assert _counts(clean) == after
    finally:
        clean_db.engine.dispose()
    assert after["records"] == ROWS - 8 and after["record_versions"] == ROWS - 8

    # Sending the same file again is idempotent: every good row is unchanged.
    again = _ingest(session, path)
    assert (again.rows_unchanged, again.rows_created, again.rows_rejected) == (ROWS - 8, 0, 8)
    resent = _counts(session)
    assert (resent["records"], resent["record_versions"]) == (after["records"], after["record_versions"])
    assert ledger.verify(session).ok
