"""API keys: shown once and hashed at rest, Bearer or X-Api-Key, scopes, catalog items, expiry,
revocation, rotation; ingest's provider keys act as provider keys."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tests.accounts.helpers import LICENCE, Accounts
from xinyong.accounts import key_use, service
from xinyong.accounts.models import ApiKey
from xinyong.accounts.policy import ROLE_DEFAULT_SCOPES
from xinyong.accounts.principal import Principal
from xinyong.core.db import Database, utcnow
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import reset_settings


def _me(client: TestClient, key: str, header: str = "bearer") -> object:
    headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-Api-Key": key}
    return client.get("/api/v1/me", headers=headers)


def test_key_is_shown_once_and_stored_hashed(
    client: TestClient, accounts: Accounts, session: Session, db: Database
) -> None:
    info, key = service.create_api_key(
        session, name="发改委信用核查系统", role="regulator", department_code="tz_fgw"
    )
    session.commit()
    assert key.startswith(f"xy_{info.prefix}_") and len(key) > 50
    row = session.scalar(select(ApiKey).where(ApiKey.id == info.id))
    assert row is not None and row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    dump = " ".join(
        str(v) for v in session.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": info.id}).one()
    )
    assert key not in dump and key.split("_", 2)[2] not in dump
    assert info.scopes == list(ROLE_DEFAULT_SCOPES["regulator"])  # the role's defaults
    assert info.status == "active" and info.expires_at is not None

    for header in ("bearer", "x-api-key"):
        r = _me(client, key, header)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["kind"], body["role"], body["department_code"]) == ("api_key", "regulator", "tz_fgw")
        assert body["api_key_prefix"] == info.prefix
    key_use.flush(db)  # the background job of serve (accounts/worker.py)
    session.expire_all()
    assert service.list_api_keys(session, department_code="tz_fgw")[0].last_used_at is not None


def test_bad_keys_are_refused(client: TestClient, accounts: Accounts, session: Session) -> None:
    _, key = service.create_api_key(session, name="x", role="bank", department_code="tz_bank")
    session.commit()
    for bad in ("nonsense", "xy_abc", key[:-3] + "zzz", "xy_000000000000_" + "A" * 43):
        r = _me(client, bad)
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.invalid_key"
    # A bad key on a public endpoint is refused too (never silently anonymous).
    assert client.get("/api/v1/catalog/items", headers={"X-Api-Key": "xy_1_2"}).status_code == 401


def test_scopes_limit_what_a_key_may_call(client: TestClient, accounts: Accounts, session: Session) -> None:
    _, reader = service.create_api_key(
        session, name="治理看板", role="credit_office", department_code="tz_xyb", scopes=["governance:read"]
    )
    session.commit()
    h = {"Authorization": f"Bearer {reader}"}
    assert client.get("/api/v1/governance/cases", headers=h).status_code == 200
    r = client.post("/api/v1/governance/detect", headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.scope_denied"
    assert r.json()["error"]["details"]["scope"] == "governance:write"
    # A key never needs a CSRF token, and portal-only routes refuse keys.
    r = client.post("/logout", headers=h, follow_redirects=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.key_not_allowed"
    # The role still counts: a regulator key with every regulator scope cannot read governance.
    _, reg = service.create_api_key(session, name="r", role="regulator", department_code="tz_fgw")
    session.commit()
    r = client.get("/api/v1/governance/cases", headers={"X-Api-Key": reg})
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.role_denied"


def test_scopes_must_fit_the_role(session: Session, accounts: Accounts) -> None:
    with pytest.raises(InvalidInput) as err:
        service.create_api_key(
            session, name="x", role="bank", department_code="tz_bank", scopes=["governance:write"]
        )
    assert err.value.code == "accounts.invalid_scopes"
    with pytest.raises(InvalidInput):
        service.create_api_key(session, name="x", role="bank", department_code="tz_bank", scopes=["fly:high"])


def test_keys_expire(client: TestClient, accounts: Accounts, session: Session) -> None:
    info, key = service.create_api_key(
        session, name="x", role="bank", department_code="tz_bank", expires_in_days=30
    )
    session.commit()
    assert _me(client, key).status_code == 200
    session.execute(
        update(ApiKey).where(ApiKey.id == info.id).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    r = _me(client, key)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.key_expired"
    assert service.get_api_key(session, info.id).status == "expired"


def test_revoke_and_rotate(client: TestClient, accounts: Accounts, session: Session) -> None:
    info, key = service.create_api_key(session, name="银行系统", role="bank", department_code="tz_bank")
    session.commit()
    new_info, new_key = service.rotate_api_key(session, info.id, by="test")
    session.commit()
    assert new_info.rotated_from_id == info.id and new_info.scopes == info.scopes
    assert new_info.department_code == "tz_bank" and new_info.prefix != info.prefix
    r = _me(client, key)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.key_revoked"
    assert _me(client, new_key).status_code == 200

    # Rotation with a grace period: the old key works until the period ends.
    graced, graced_key = service.rotate_api_key(session, new_info.prefix, by="test", grace_minutes=60)
    session.commit()
    assert _me(client, new_key).status_code == 200 and _me(client, graced_key).status_code == 200

    service.revoke_api_key(session, graced.id, by="test")
    session.commit()
    assert _me(client, graced_key).status_code == 401
    assert [k.id for k in service.list_api_keys(session, department_code="tz_bank")] == [new_info.id]
    assert len(service.list_api_keys(session, department_code="tz_bank", include_revoked=True)) == 3


def test_catalog_item_limits(client: TestClient, accounts: Accounts, session: Session) -> None:
    _, key = service.create_api_key(
        session, name="许可报送", role="provider", provider_code=accounts.provider_code, items=[LICENCE]
    )
    session.commit()
    body = _me(client, key).json()
    assert body["items"] == [LICENCE] and body["provider_code"] == accounts.provider_code
    with pytest.raises(InvalidInput):
        service.create_api_key(
            session,
            name="x",
            role="provider",
            provider_code=accounts.provider_code,
            scopes=["governance:read"],
        )


def test_ingest_provider_keys_are_provider_principals(client: TestClient, accounts: Accounts) -> None:
    body = _me(client, accounts.provider_key, header="x-api-key").json()
    assert (body["kind"], body["role"], body["provider_code"]) == (
        "api_key",
        "provider",
        accounts.provider_code,
    )
    # Changed from submissions only: a provider also runs its department's list procedures and
    # checks / queries with a purpose (issues 4 and 6), so old ingest keys carry the provider
    # role's default scopes (policy.ROLE_DEFAULT_SCOPES) and are not locked out of those routes.
    assert set(body["scopes"]) == set(ROLE_DEFAULT_SCOPES["provider"])
    assert {"submissions:read", "submissions:write", "lists:read", "lists:write", "checks:read"} <= set(
        body["scopes"]
    )
    assert client.get("/api/v1/submissions", headers={"X-Api-Key": accounts.provider_key}).status_code == 200
    assert client.get("/api/v1/lists/queue", headers={"X-Api-Key": accounts.provider_key}).status_code == 200
    # ... and nothing beyond a provider's routes.
    r = client.get("/api/v1/governance/cases", headers={"X-Api-Key": accounts.provider_key})
    assert r.status_code == 403


def test_admin_api_issues_keys(client: TestClient, accounts: Accounts, session: Session) -> None:
    _, admin_key = service.create_api_key(session, name="运维", role="admin")
    session.commit()
    h = {"X-Api-Key": admin_key}
    r = client.post(
        "/api/v1/accounts/keys",
        headers=h,
        json={"name": "市监局报送系统", "role": "provider", "provider_code": accounts.provider_code},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["key"].startswith("xy_") and created["status"] == "active"
    listed = client.get("/api/v1/accounts/keys", headers=h).json()
    assert all("key" not in k for k in listed) and created["prefix"] in {k["prefix"] for k in listed}
    rotated = client.post(
        f"/api/v1/accounts/keys/{created['id']}/rotate", headers=h, json={"grace_minutes": 0}
    )
    assert rotated.status_code == 200 and rotated.json()["rotated_from_id"] == created["id"]
    revoked = client.post(f"/api/v1/accounts/keys/{rotated.json()['id']}/revoke", headers=h)
    assert revoked.json()["status"] == "revoked"
    assert _me(client, rotated.json()["key"]).status_code == 401


def test_a_resolved_key_is_reused_for_the_cache_ttl(
    db: Database, accounts: Accounts, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changes made in this process apply at once (test_revoke_and_rotate); a change this process
    cannot see (another worker process, a plain SQL statement) applies within
    ``api_key_cache_seconds``."""
    monkeypatch.setenv("XINYONG_API_KEY_CACHE_SECONDS", "1.5")
    reset_settings()
    from xinyong.app import create_app

    info, key = service.create_api_key(session, name="x", role="bank", department_code="tz_bank")
    session.commit()
    with TestClient(create_app(db)) as client:
        # The first use stamps the key's last use (a change to api_keys: not cached yet).
        assert _me(client, key).status_code == 200
        assert _me(client, key).status_code == 200
        with db.engine.begin() as conn:  # as another process would: not through this process's ORM
            conn.execute(
                text("UPDATE api_keys SET revoked_at = :t WHERE id = :id"), {"t": utcnow(), "id": info.id}
            )
        assert _me(client, key).status_code == 200  # still the cached answer
        time.sleep(1.6)
        r = _me(client, key)
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.key_revoked"


def test_the_cache_never_outlives_the_key() -> None:
    cache = service.ApiKeyCache(3600)
    soon = Principal(
        role="bank", kind="api_key", api_key_id=1, credential_expires_at=utcnow() + timedelta(hours=1)
    )
    gone = Principal(
        role="bank", kind="api_key", api_key_id=2, credential_expires_at=utcnow() - timedelta(seconds=1)
    )
    cache.put(1, "xy_a_1", soon, cache.generation())
    cache.put(1, "xy_b_2", gone, cache.generation())
    hit = cache.get(1, "xy_a_1", "10.0.0.9")
    assert hit is not None and hit.api_key_id == 1 and hit.client_ip == "10.0.0.9"
    assert cache.get(1, "xy_b_2", None) is None  # expired meanwhile: resolved (and refused) afresh
    assert cache.get(2, "xy_a_1", None) is None  # another store
    keyless = Principal(role="provider", kind="api_key")  # no key row to void it: never cached
    cache.put(1, "xy_c_3", keyless, cache.generation())
    assert cache.get(1, "xy_c_3", None) is None
