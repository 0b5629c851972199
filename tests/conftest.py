"""Shared fixtures. Every test that takes ``db`` runs on SQLite and, when
``XINYONG_TEST_POSTGRES_URL`` is set, on PostgreSQL too (each run in its own schema, dropped
at the end). The store is always built by the Alembic migrations, never ``create_all``."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

os.environ.setdefault("XINYONG_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("XINYONG_TICK_INTERVAL_SECONDS", "0")  # no background tick unless a test asks
os.environ.setdefault("XINYONG_CHECKPOINT_INTERVAL_MINUTES", "0")  # nor background checkpoints
os.environ.setdefault("XINYONG_EVALUATION_POLL_SECONDS", "0")  # nor the evaluation consumer
os.environ.setdefault("XINYONG_PUSH_POLL_SECONDS", "0")  # nor the push delivery worker
os.environ.setdefault("XINYONG_INGEST_RECOVERY_SECONDS", "0")  # nor ingest's crash recovery
os.environ.setdefault("XINYONG_API_KEY_LAST_USE_SECONDS", "0")  # nor the key last-use stamps

from xinyong.core.db import Database, make_engine, set_database
from xinyong.core.migrate import upgrade
from xinyong.core.settings import reset_settings
from xinyong.jobs import register_consumers
from xinyong.registry import metadata

# As the app and the CLI do: a submission leaves the credit states current when it returns
# (tests call the services directly, without either).
register_consumers()

POSTGRES_URL = os.environ.get("XINYONG_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    engine = make_engine(url=f"sqlite:///{path}", schema="")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    schema = f"xy_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = make_engine(url=POSTGRES_URL, schema=schema)
    upgrade(engine, schema=schema)
    engine.dispose()
    yield schema
    admin = make_engine(url=POSTGRES_URL, schema="")
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _truncate_postgres(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        # The query log refuses TRUNCATE (migration 0012) unless the session says it means it.
        conn.execute(text("SET LOCAL xinyong.allow_truncate = 'on'"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty store on each backend under test."""
    if request.param == "sqlite":
        path = tmp_path / "xinyong.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        database = Database(make_engine(url=f"sqlite:///{path}", schema=""))
    else:
        schema = request.getfixturevalue("_postgres_schema")
        database = Database(make_engine(url=POSTGRES_URL, schema=schema))
        _truncate_postgres(database)
    set_database(database)
    try:
        yield database
    finally:
        set_database(None)
        database.engine.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session on ``db``; the test commits when it needs to."""
    s = db.sessionmaker()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    from xinyong.app import create_app

    with TestClient(create_app(db)) as c:
        yield c


@pytest.fixture
def auth_headers(db: Database) -> Callable[..., dict[str, str]]:
    """``auth_headers(role, subject_code=..., provider_code=...)``: headers of a new API key of that
    role with all its scopes, for calling routes the access policy protects."""
    from tests.accounts.helpers import api_key_headers

    def make(role: str, **kwargs: str) -> dict[str, str]:
        with db.session() as s:
            return api_key_headers(s, role, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XINYONG_VAR_DIR", str(tmp_path / "var"))
    reset_settings()
    yield
    reset_settings()
