"""``xinyong ledger verify`` checks the data against the ledger: every tampering of issue 19,
made with raw SQL on a small demo store (one at a time, each rolled back), is found and named
by table, key and column; derived state names its rebuild command; nothing is printed about a
person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.querylog.principals import REGULATOR
from xinyong.core.db import Database
from xinyong.demo.service import build_demo
from xinyong.jobs.integrity import register_verifiers, seal_and_checkpoint
from xinyong.ledger import service as ledger
from xinyong.ledger.integrity import Finding, run_verifiers
from xinyong.querylog import seals
from xinyong.querylog import service as querylog
from xinyong.querylog.models import QueryLogEntry
from xinyong.records.models import Record


def _drop_query_log_guard(db: Database) -> list[str]:
    if db.dialect == "postgresql":
        return ["DROP TRIGGER IF EXISTS query_log_append_only ON query_log"]
    return ["DROP TRIGGER IF EXISTS query_log_no_delete", "DROP TRIGGER IF EXISTS query_log_no_update"]


def _findings(db: Database, statements: Sequence[str]) -> tuple[list[Finding], ledger.VerifyResult]:
    """Apply the statements in a transaction, verify inside it, roll everything back."""
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            for stmt in statements:
                conn.execute(text(stmt))
            with Session(bind=conn) as s:
                chain = ledger.verify(s)
                found = [f for r in run_verifiers(s) for f in r.findings]
        finally:
            trans.rollback()
    return found, chain


@pytest.fixture
def demo(db: Database, tmp_path: Path) -> Database:
    register_verifiers()
    summary = build_demo(db, subjects=60, seed=3, out_dir=tmp_path / "samples")
    assert summary.checkpoints >= 1  # the demo build ends with a checkpoint
    now = datetime.now(UTC)
    with db.session() as s:
        for minutes in (30, 20, 10):
            querylog.log_query(
                s,
                REGULATOR,
                "supervision",
                1,
                ["honour"],
                action="records.list",
                at=now - timedelta(minutes=minutes),
            )
    with db.session() as s:
        # The rows just logged count as settled (no other writer here).
        seals.seal(s, now=now + timedelta(seconds=seals.SETTLE_SECONDS))
        seal_and_checkpoint(s)
    return db


def _one(found: list[Finding], table: str, column: str | None) -> Finding:
    hits = [f for f in found if f.table == table and f.column == column]
    assert hits, [f.to_dict() for f in found]
    return hits[0]


def test_a_fresh_demo_store_verifies_clean(demo: Database) -> None:
    found, chain = _findings(demo, [])
    assert chain.ok and chain.checkpoints >= 1
    assert found == []
    with demo.session() as s:
        assert ledger.uncovered_entries(s) == 0


def test_each_tampering_of_the_issue_is_named(demo: Database) -> None:
    with demo.session() as s:
        graded = s.scalars(select(Record).where(Record.severity.is_not(None)).order_by(Record.id)).first()
        assert graded is not None
        rid, sev, sid = graded.id, graded.severity, graded.subject_id
        other_sev = "minor" if sev != "minor" else "serious"
        free = s.scalar(
            text(
                "SELECT min(id) FROM records WHERE id NOT IN "
                "(SELECT basis_record_id FROM list_procedures WHERE basis_record_id IS NOT NULL)"
            )
        )
        state_subject = s.scalar(text("SELECT min(subject_id) FROM credit_states"))
        first_log = s.scalar(select(QueryLogEntry.id).order_by(QueryLogEntry.id))

    found, _ = _findings(demo, [f"UPDATE records SET severity = '{other_sev}' WHERE id = {rid}"])
    f = _one(found, "records", "severity")
    assert (f.key, f.expected, f.found, f.rebuild) == (f"id={rid}", sev, other_sev, None)

    found, _ = _findings(demo, [f"UPDATE records SET status = 'withdrawn' WHERE id = {rid}"])
    assert _one(found, "records", "status").found == "withdrawn"
    # The credit state still counts what the facts say: the first break shown is the fact.
    assert found[0].table == "records"

    found, _ = _findings(demo, [f"UPDATE records SET publicity_end = '2099-12-31' WHERE id = {rid}"])
    assert _one(found, "records", "publicity_end").found == "2099-12-31"

    found, _ = _findings(demo, [f"UPDATE records SET subject_id = subject_id + 1 WHERE id = {rid}"])
    f = _one(found, "records", "subject_id")
    assert (f.expected, f.found) == (str(sid), str(sid + 1))

    found, _ = _findings(demo, [f"UPDATE records SET current_version = 9 WHERE id = {rid}"])
    assert _one(found, "records", "current_version").found == "9"

    data_sql = (
        "UPDATE record_versions SET data = jsonb_set(data, '{{note}}', '\"altered\"') WHERE record_id = {rid}"
        if demo.dialect == "postgresql"
        else "UPDATE record_versions SET data = json_set(data, '$.note', 'altered') WHERE record_id = {rid}"
    )
    found, _ = _findings(demo, [data_sql.format(rid=rid)])
    f = _one(found, "record_versions", "data")
    assert f.key.startswith(f"record_id={rid},version=") and f.expected and f.expected.startswith("sha256 ")

    found, _ = _findings(
        demo, [f"UPDATE record_versions SET content_hash = '{'0' * 64}' WHERE record_id = {rid}"]
    )
    assert _one(found, "record_versions", "content_hash").found == "0" * 64

    found, _ = _findings(
        demo,
        [f"DELETE FROM record_versions WHERE record_id = {free}", f"DELETE FROM records WHERE id = {free}"],
    )
    assert _one(found, "records", None).key == f"id={free}"
    gone = _one(found, "record_versions", None)
    assert gone.key == f"record_id={free},version=1" and gone.seq is not None

    found, _ = _findings(demo, [f"UPDATE credit_states SET grade = 'A' WHERE subject_id = {state_subject}"])
    f = _one(found, "credit_states", "grade")
    assert (f.found, f.rebuild) == ("A", "xinyong evaluate run")

    found, _ = _findings(
        demo,
        [
            f"UPDATE credit_states SET records_in_force = records_in_force + 5 WHERE subject_id = {state_subject}"
        ],
    )
    f = _one(found, "credit_states", "records_in_force")
    assert f.rebuild == "xinyong creditstate rebuild" and f.key == f"subject_id={state_subject}"

    found, _ = _findings(
        demo, [*_drop_query_log_guard(demo), f"DELETE FROM query_log WHERE id = {first_log}"]
    )
    f = _one(found, "query_log", None)
    assert f"missing id {first_log}" in f.key

    found, _ = _findings(
        demo,
        [
            "INSERT INTO query_log_purges (cutoff, retention_years, removed, actor, created_at) "
            "VALUES ('9999-12-31 00:00:00', 5, 3, 'user:x', '2026-01-01 00:00:00')",
            f"DELETE FROM query_log WHERE id >= {first_log}",
        ],
    )
    assert _one(found, "query_log_purges", None).expected == "no purge (no ledger entry)"
    assert [f for f in found if f.table == "query_log"]

    found, _ = _findings(
        demo, ["UPDATE list_steps SET to_status = 'exited' WHERE id = (SELECT min(id) FROM list_steps)"]
    )
    assert _one(found, "list_steps", "to_status").found == "exited"

    found, _ = _findings(
        demo,
        ["UPDATE list_procedures SET status = 'exited' WHERE id = (SELECT min(id) FROM list_procedures)"],
    )
    assert _one(found, "list_procedures", "status").found == "exited"

    # Names no person: keys are ids, values codes, dates and hashes.
    for f in found:
        assert "li_jian" not in str(f.to_dict())


def test_the_cli_names_the_break_and_exits_1(demo: Database) -> None:
    from xinyong.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["ledger", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "数据与账本一致" in ok.output
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE records SET severity = 'serious' WHERE id = (SELECT min(id) FROM records)"))
        conn.execute(
            text(
                "UPDATE credit_states SET records_in_force = 99 WHERE subject_id = (SELECT min(subject_id) FROM credit_states)"
            )
        )
    broken = runner.invoke(app, ["ledger", "verify"])
    assert broken.exit_code == 1
    assert "records [id=" in broken.output and "severity" in broken.output
    assert "重建命令 (rebuild): xinyong creditstate rebuild" in broken.output
    assert runner.invoke(app, ["ledger", "verify", "--chain-only"]).exit_code == 0
    rebuilt = runner.invoke(app, ["creditstate", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    after = runner.invoke(app, ["ledger", "verify", "--json"])
    assert '"creditstate.counts"' not in after.output and '"records.field"' in after.output


def test_a_governance_move_is_ledgered_not_a_break(demo: Database) -> None:
    from xinyong.records import amend

    with demo.session() as s:
        rec = s.scalars(select(Record).order_by(Record.id)).first()
        assert rec is not None
        target = s.scalar(text("SELECT max(id) FROM subjects"))
        amend.reassign_subject(s, rec.subject_id, target)
    found, _ = _findings(demo, [])
    assert [f for f in found if f.table == "records"] == []


def test_verify_warns_about_old_uncovered_entries(demo: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from xinyong.cli import app
    from xinyong.ledger import integrity

    with demo.session() as s:
        ledger.append(s, "test.note", "note:1", {"n": 1})
    later = datetime.now(UTC) + timedelta(hours=1)
    monkeypatch.setattr(integrity, "utcnow", lambda: later)
    out = CliRunner().invoke(app, ["ledger", "verify", "--chain-only"])
    assert out.exit_code == 0
    assert "1 条账本条目未被检查点覆盖" in out.output


def test_incremental_verify_reads_only_what_changed(
    demo: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.ledger import incremental
    from xinyong.records import amend

    mark_file = tmp_path / "mark.json"
    monkeypatch.setattr(incremental, "mark_path", lambda: mark_file)
    with demo.session() as s:
        full = run_verifiers(s)
        assert incremental.write_mark(s) is not None
        mark = incremental.read_mark(s)
        assert mark is not None
        records_rows = next(r.rows for r in full if r.name == "records")
    # Nothing changed since the mark: the records check reads nothing.
    with demo.session() as s:
        again = run_verifiers(s, since_seq=mark.last_seq)
        assert next(r.rows for r in again if r.name == "records") == 0 < records_rows
        assert ledger.verify(s, from_seq=mark.last_seq + 1, prev=mark.last_entry_hash).ok
    # A governance move after the mark: its records are re-read, and an edit of one is found.
    with demo.session() as s:
        rec = s.scalars(select(Record).order_by(Record.id)).first()
        assert rec is not None
        rid = rec.id
        target = s.scalar(text("SELECT max(id) FROM subjects"))
        moved = amend.reassign_subject(s, rec.subject_id, target)
        seal_and_checkpoint(s)
    with demo.engine.begin() as conn:
        conn.execute(text(f"UPDATE records SET status = 'withdrawn' WHERE id = {rid}"))
    with demo.session() as s:
        reports = run_verifiers(s, since_seq=mark.last_seq)
        records = next(r for r in reports if r.name == "records")
        assert 0 < records.rows <= 3 * moved + 3
        assert [f.key for f in records.findings] == [f"id={rid}"]
    # The CLI: --incremental uses the mark, says so, and still exits 1.
    from xinyong.cli import app

    out = CliRunner().invoke(app, ["ledger", "verify", "--incremental"])
    assert out.exit_code == 1 and "增量校验" in out.output and f"records [id={rid}] status" in out.output
