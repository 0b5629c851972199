"""The query log under the ledger: seals over id ranges, purges accounted for, a deleted or
forged row named by ``querylog.integrity``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.querylog.test_log import REGULATOR
from xinyong.core.db import Database
from xinyong.ledger.integrity import CheckReport
from xinyong.querylog import integrity, seals
from xinyong.querylog import service as querylog

NOW = datetime(2031, 6, 1, 4, 0, tzinfo=UTC)


def _log(db: Database, *ats: datetime) -> None:
    with db.session() as s:
        for at in ats:
            querylog.log_query(s, REGULATOR, "supervision", 5, ["honour"], action="records.list", at=at)


def _check(db: Database, *statements: str) -> CheckReport:
    report = CheckReport("querylog", "查询记录")
    with db.engine.connect() as conn:
        trans = conn.begin()
        for stmt in statements:
            conn.execute(text(stmt))
        with Session(bind=conn) as s:
            integrity.verify_query_log(s, report)
        trans.rollback()
    return report


def _unguard(db: Database) -> list[str]:
    if db.dialect == "postgresql":
        return ["DROP TRIGGER IF EXISTS query_log_append_only ON query_log"]
    return ["DROP TRIGGER IF EXISTS query_log_no_delete", "DROP TRIGGER IF EXISTS query_log_no_update"]


def test_seals_cover_settled_rows_in_contiguous_ranges(db: Database) -> None:
    _log(db, NOW - timedelta(minutes=5), NOW - timedelta(minutes=4))
    with db.session() as s:
        made = seals.seal(s, now=NOW)
        assert [(m.first_id, m.last_id, m.count) for m in made] == [(1, 2, 2)]
        assert seals.seal(s, now=NOW) == []  # nothing new
    _log(db, NOW - timedelta(minutes=3), NOW)  # the last one has not settled
    with db.session() as s:
        assert [(m.first_id, m.last_id) for m in seals.seal(s, now=NOW)] == [(3, 3)]
    report = _check(db)
    assert report.total == 0 and report.rows == 3
    assert report.warnings and "1 query-log row" in report.warnings[0][0]


def test_a_deleted_or_edited_row_is_named(db: Database) -> None:
    _log(db, *(NOW - timedelta(minutes=m) for m in (9, 8, 7)))
    with db.session() as s:
        seals.seal(s, now=NOW)
    report = _check(db, *_unguard(db), "DELETE FROM query_log WHERE id = 2")
    assert report.total == 2  # the seal's rows, and the global count
    assert report.findings[0].key == "id=1..3 (missing id 2)"
    assert report.findings[0].expected and report.findings[0].expected.startswith("3 rows")
    edited = _check(db, *_unguard(db), "UPDATE query_log SET purpose = 'credit_lending' WHERE id = 3")
    assert edited.total == 1 and edited.findings[0].key == "id=1..3"


def test_a_purge_is_accounted_for_and_a_forged_one_is_named(db: Database) -> None:
    old = NOW - timedelta(days=365 * 5 + 10)
    _log(db, old, old + timedelta(minutes=1), NOW - timedelta(days=1))
    with db.session() as s:
        result = querylog.purge(s, by="user:admin", now=NOW)  # seals first, then removes 2
    assert result.removed == 2
    assert _check(db).total == 0
    forged = _check(
        db,
        "INSERT INTO query_log_purges (cutoff, retention_years, removed, actor, created_at) "
        "VALUES ('9999-12-31 00:00:00', 5, 1, 'user:x', '2031-06-01 00:00:00')",
        *_unguard(db),
        "DELETE FROM query_log",
    )
    tables = [(f.table, f.column) for f in forged.findings]
    assert ("query_log_purges", None) in tables and ("query_log", None) in tables
