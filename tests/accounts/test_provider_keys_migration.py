"""Migration 0014: the keys ingest issued to providers become API keys of accounts and keep working."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from tests.conftest import BACKENDS, POSTGRES_URL
from xinyong.accounts import service
from xinyong.accounts.policy import ROLE_DEFAULT_SCOPES
from xinyong.core.db import Database, make_engine, set_database
from xinyong.core.migrate import alembic_config, upgrade
from xinyong.ingest import service as ingest_service

PREFIX = "0a1b2c3d4e5f"
KEY = f"xy_{PREFIX}_" + "S" * 43
CLASHING_PREFIX = "ffffffffffff"  # an accounts key holds it already
CLASHING_KEY = f"xy_{CLASHING_PREFIX}_" + "C" * 43
AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def engine_0013(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """A store built up to 0013 (before the move), on each backend under test."""
    if request.param == "sqlite":
        engine = make_engine(url=f"sqlite:///{tmp_path / 'old.db'}", schema="")
        schema = ""
    else:
        schema = f"xy_mig_{uuid.uuid4().hex[:8]}"
        engine = make_engine(url=POSTGRES_URL, schema=schema)
    upgrade(engine, schema=schema, revision="0013")
    try:
        yield engine, schema
    finally:
        engine.dispose()
        if schema:
            admin = make_engine(url=POSTGRES_URL, schema="")
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


def _sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _seed_0013(engine: Engine) -> None:
    with engine.begin() as conn:
        providers = [
            # code, name, key hash, prefix
            ("tz_scjgj", "台州市市场监督管理局", _sha(KEY), PREFIX),
            ("tz_sw", "国家税务总局台州市税务局", None, None),  # no key
            ("x", "单字编码单位", _sha(CLASHING_KEY), CLASHING_PREFIX),  # not a department code
        ]
        for code, name, key_hash, prefix in providers:
            conn.execute(
                text(
                    "INSERT INTO providers (code, name, uscc, api_key_hash, api_key_prefix, active, created_at)"
                    " VALUES (:code, :name, NULL, :hash, :prefix, :active, :at)"
                ),
                {"code": code, "name": name, "hash": key_hash, "prefix": prefix, "active": True, "at": AT},
            )
        # tz_sw had its department already (made on first use by accounts); tz_scjgj's code is taken.
        for code, name, provider_code in (
            ("sw", "税务局", "tz_sw"),
            ("tz_scjgj", "另一个部门", None),
        ):
            conn.execute(
                text(
                    "INSERT INTO departments (code, name, provider_code, active, created_at)"
                    " VALUES (:code, :name, :provider_code, :active, :at)"
                ),
                {"code": code, "name": name, "provider_code": provider_code, "active": True, "at": AT},
            )
        dept = conn.execute(text("SELECT id FROM departments WHERE code = 'sw'")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO api_keys (prefix, key_hash, name, role, department_id, scopes, items,"
                " created_by, created_at) VALUES (:prefix, :hash, 'k', 'provider', :dept, :scopes, :items,"
                " '', :at)"
            ),
            {
                "prefix": CLASHING_PREFIX,
                "hash": _sha("xy_other"),
                "dept": dept,
                "scopes": '["submissions:read"]',
                "items": "[]",
                "at": AT,
            },
        )


def test_provider_keys_move_to_accounts_and_keep_working(engine_0013: tuple[Engine, str]) -> None:
    engine, schema = engine_0013
    _seed_0013(engine)
    upgrade(engine, schema=schema)

    assert {c["name"] for c in inspect(engine).get_columns("providers")}.isdisjoint(
        {"api_key_hash", "api_key_prefix"}
    )
    db = Database(engine)
    set_database(db)
    try:
        with db.session() as session:
            principal = service.resolve_api_key(session, KEY)
            assert (principal.role, principal.provider_code) == ("provider", "tz_scjgj")
            assert principal.scopes == frozenset(ROLE_DEFAULT_SCOPES["provider"])
            assert principal.items is None and principal.credential_expires_at is None
            # Its department was made: the provider's code was taken, so p.<code>.
            assert service.provider_department(session, "tz_scjgj").code == "p.tz_scjgj"
            assert service.provider_department(session, "tz_sw").code == "sw"  # kept
            assert service.provider_department(session, "x").code == "p.x"
            assert ingest_service.authenticate(session, KEY).code == "tz_scjgj"
            key = service.get_api_key(session, PREFIX)
            assert (key.name, key.created_at.replace(tzinfo=UTC), key.status) == (
                service.PROVIDER_KEY_NAME,
                AT,
                "active",
            )
            # The clashing key could not authenticate before (the accounts key won): still not.
            with pytest.raises(Exception) as refused:
                service.resolve_api_key(session, CLASHING_KEY)
            assert getattr(refused.value, "code", "") == "auth.invalid_key"
            # The provider CLI's rotation replaces the moved key.
            _, new_key = ingest_service.rotate_key(session, "tz_scjgj")
            session.commit()
            assert ingest_service.authenticate(session, new_key).code == "tz_scjgj"
            with pytest.raises(Exception) as old:
                ingest_service.authenticate(session, KEY)
            assert getattr(old.value, "code", "") == "ingest.invalid_api_key"
            session.commit()
    finally:
        set_database(None)

    # Down again: the provider's newest key goes back to its row.
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["schema"] = schema
        command.downgrade(cfg, "0013")
        conn.commit()
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT api_key_hash, api_key_prefix FROM providers WHERE code = 'tz_scjgj'")
        ).one()
        assert row[0] == _sha(new_key) and row[1] == new_key.split("_")[1]
        left = conn.execute(text("SELECT count(*) FROM api_keys WHERE prefix = :p"), {"p": row[1]}).scalar()
        assert left == 0
