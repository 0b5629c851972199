"""The query log: append-only on both stores, purpose rules, retention purge, volume flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.querylog.principals import REGULATOR
from xinyong.accounts.principal import Principal
from xinyong.core.db import Database
from xinyong.core.errors import Forbidden, InvalidInput
from xinyong.ledger import service as ledger
from xinyong.querylog import service as querylog
from xinyong.querylog.models import QueryLogEntry

BANK = Principal(
    role="bank", kind="api_key", api_key_id=4, api_key_prefix="xy_ab12", department_name="台州银行"
)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(QueryLogEntry)) or 0


def test_log_query_records_who_why_whom_what_when_where(session: Session) -> None:
    entry_id = querylog.log_query(
        session,
        REGULATOR,
        "行政审批",  # the Chinese name works as well as the code
        42,
        ["administrative_penalty", "administrative_licence", "administrative_penalty"],
        action="records.list",
        result_count=3,
    )
    session.commit()
    page = querylog.search(session, querylog.LogFilter(subject_id=42))
    assert page.total == 1
    e = page.items[0]
    assert e.id == entry_id
    assert (e.actor, e.role, e.organisation, e.department_id, e.user_id) == (
        "user:li_jian",
        "regulator",
        "台州市发展和改革委员会",
        3,
        7,
    )
    assert (e.purpose, e.purpose_zh) == ("administrative_approval", "行政审批")
    assert e.items == ["administrative_licence", "administrative_penalty"]
    assert e.result_count == 3 and e.client_ip == "10.1.2.3" and e.channel == "api"
    assert abs((datetime.now(UTC) - e.logged_at).total_seconds()) < 60


def test_purpose_is_required_known_and_allowed_for_the_role(session: Session) -> None:
    with pytest.raises(InvalidInput) as missing:
        querylog.require_purpose(REGULATOR, None)
    assert missing.value.code == "purpose.required"
    assert "supervision" in {p["code"] for p in missing.value.details["allowed"]}
    with pytest.raises(InvalidInput) as unknown:
        querylog.require_purpose(REGULATOR, "curiosity")
    assert unknown.value.code == "purpose.unknown"
    with pytest.raises(Forbidden) as denied:
        querylog.require_purpose(BANK, "监管执法")
    assert denied.value.code == "purpose.not_allowed"
    assert querylog.require_purpose(BANK, "credit_lending").name_zh == "信贷"
    # log_query refuses a purpose the role may not use: no entry is written.
    with pytest.raises(Forbidden):
        querylog.log_query(session, BANK, "supervision", 1, [], action="records.list")
    assert _count(session) == 0


def test_entries_cannot_be_updated_or_deleted_in_sql(db: Database) -> None:
    with db.session() as s:
        querylog.log_query(s, REGULATOR, "supervision", 5, ["honour"], action="records.list")
    statements = ["UPDATE query_log SET purpose = 'honours'", "DELETE FROM query_log"]
    if db.engine.dialect.name == "postgresql":  # TRUNCATE fires no row trigger: 0012's own
        statements += ["TRUNCATE query_log", "TRUNCATE query_log_purges", "TRUNCATE query_log CASCADE"]
    for stmt in statements:
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(stmt))
    with db.session() as s:
        assert _count(s) == 1
        assert s.scalar(select(QueryLogEntry.purpose)) == "supervision"


def test_purge_removes_only_entries_older_than_retention_and_is_in_the_ledger(db: Database) -> None:
    now = datetime(2031, 6, 1, 4, 0, tzinfo=UTC)
    with db.session() as s:
        for at in (now - timedelta(days=365 * 5 + 10), now - timedelta(days=365 * 5 - 10), now):
            querylog.log_query(s, REGULATOR, "supervision", 5, ["honour"], action="records.list", at=at)
    with db.session() as s:
        result = querylog.purge(s, by="user:admin", now=now)
    assert result.retention_years == 5 and result.removed == 1
    assert result.cutoff == datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    with db.session() as s:
        assert _count(s) == 2
        assert ledger.verify(s).ok
        entry = s.scalar(select(ledger.LedgerEntry).where(ledger.LedgerEntry.kind == "query_log.purge"))
        assert entry is not None and '"removed":1' in entry.payload
    # Entries inside the retention period still cannot be deleted, even after a purge.
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM query_log"))
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM query_log_purges"))


def test_retention_setting_may_lengthen_but_not_shorten(monkeypatch: pytest.MonkeyPatch) -> None:
    from xinyong.core.settings import reset_settings

    monkeypatch.setenv("XINYONG_QUERY_LOG_RETENTION_YEARS", "10")
    reset_settings()
    assert querylog.retention_years() == 10
    monkeypatch.setenv("XINYONG_QUERY_LOG_RETENTION_YEARS", "2")
    reset_settings()
    with pytest.raises(InvalidInput) as exc:
        querylog.retention_years()
    assert exc.value.code == "querylog.retention_too_short"


def test_unusual_volume_is_flagged(session: Session) -> None:
    day = date(2026, 5, 6)
    at = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)  # 10:00 in China
    for sid in range(501):
        querylog.log_query(session, REGULATOR, "supervision", sid, ["honour"], action="subject.view", at=at)
    querylog.log_query(session, BANK, "credit_lending", 1, [], action="subject.view", at=at)
    session.commit()
    flags = querylog.unusual_volume(session, day)
    assert [f.actor for f in flags] == ["user:li_jian"]
    assert flags[0].queries == 501 and set(flags[0].reasons) == {"max_queries", "max_subjects"}
    everyone = querylog.unusual_volume(session, day, only_flagged=False)
    assert {f.actor: f.flagged for f in everyone} == {"user:li_jian": True, "key:xy_ab12": False}
    assert querylog.unusual_volume(session, day + timedelta(days=1)) == []
