"""An API key's last use is stamped off the request path, at most once a minute: a keyed request
never writes to the store (during a big ingest such a write waited for SQLite's write lock and
failed the request)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from tests.accounts.helpers import Accounts
from xinyong.accounts import key_use, service
from xinyong.accounts.api_keys import resolve_api_key
from xinyong.core.db import Database, utcnow


def _stamp(session: Session, key_id: int) -> object:
    session.rollback()
    return session.execute(text("SELECT last_used_at FROM api_keys WHERE id = :id"), {"id": key_id}).scalar()


@pytest.fixture
def writes(db: Database) -> Iterator[list[str]]:
    """Every INSERT/UPDATE/DELETE statement the store runs while the test runs."""
    seen: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    yield seen
    event.remove(db.engine, "before_cursor_execute", before)


def test_keyed_requests_write_nothing_and_the_job_stamps_once(
    client: TestClient, accounts: Accounts, session: Session, db: Database, writes: list[str]
) -> None:
    info, key = service.create_api_key(session, name="核查系统", role="regulator", department_code="tz_fgw")
    session.commit()
    key_use.flush(db)  # nothing noted yet
    writes.clear()
    for _ in range(3):
        r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
    assert [w for w in writes if "api_keys" in w] == []  # the request path did not write the key
    assert _stamp(session, info.id) is None
    assert info.id in key_use.pending(db)

    assert key_use.flush(db) == 1  # the background job: one short UPDATE
    assert _stamp(session, info.id) is not None
    assert key_use.pending(db) == {}

    # Within the minute the stamp is not noted again (the row is not written again).
    with db.session() as s:
        resolve_api_key(s, key)
    assert key_use.pending(db) == {}
    assert key_use.flush(db) == 0


def test_an_old_stamp_is_renewed_and_never_moves_back(
    session: Session, accounts: Accounts, db: Database
) -> None:
    info, key = service.create_api_key(session, name="核查系统", role="regulator", department_code="tz_fgw")
    old = utcnow() - timedelta(minutes=5)
    session.execute(text("UPDATE api_keys SET last_used_at = :t WHERE id = :id"), {"t": old, "id": info.id})
    session.commit()
    with db.session() as s:
        resolve_api_key(s, key)
    noted = key_use.pending(db)[info.id]
    assert noted > old
    # A stamp older than the stored one (a slow process) does not move it back.
    key_use.note_use(session, info.id, None, old - timedelta(hours=1))
    key_use.flush(db)
    session.rollback()
    stored = service.list_api_keys(session, department_code="tz_fgw")
    mine = next(k for k in stored if k.id == info.id)
    assert mine.last_used_at is not None
    assert abs((mine.last_used_at.replace(tzinfo=None) - noted.replace(tzinfo=None)).total_seconds()) < 1
