"""Hardening: per-IP rate limit on public endpoints (429 + Retry-After), security headers and a
CSP without inline scripts (the API docs included), request size limits, no stack traces."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.accounts.helpers import Accounts
from xinyong.accounts import policy, service
from xinyong.core.db import Database
from xinyong.core.hardening import TokenBucket
from xinyong.core.settings import reset_settings


@pytest.fixture
def app_with(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Build an app after setting environment variables: ``app_with(VAR=value, ...)``."""
    from xinyong.app import create_app

    clients: list[TestClient] = []

    def make(**env: str) -> TestClient:
        for k, v in env.items():
            monkeypatch.setenv(f"XINYONG_{k}", v)
        reset_settings()
        c = TestClient(create_app(db), raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_rate_limit_per_client_ip(app_with, accounts: Accounts, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = app_with(RATE_LIMIT_PER_MINUTE="6", RATE_LIMIT_BURST="3")
    codes = [c.get("/api/v1/catalog/items").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.get("/api/v1/catalog/items")
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 10
    err = r.json()["error"]
    assert err["code"] == "rate_limited" and "请求过于频繁" in err["message_zh"]
    # Another client IP has its own bucket.
    other = c.get("/api/v1/catalog/items", headers={"X-Forwarded-For": "10.0.0.9"})
    assert other.status_code == 429  # X-Forwarded-For is ignored unless the proxy is trusted
    # Static assets do not count, and signed-in callers are accountable, not limited.
    assert c.get("/static/portal/css/portal.css").status_code == 200
    with db.session() as s:
        token, _ = service.create_session(s, "t_bank")
    c.cookies.set("xinyong_session", token)
    assert c.get("/api/v1/catalog/items").status_code == 200


def test_rate_limit_behind_a_trusted_proxy(app_with) -> None:  # type: ignore[no-untyped-def]
    c = app_with(RATE_LIMIT_PER_MINUTE="6", RATE_LIMIT_BURST="1", TRUST_FORWARDED_FOR="true")
    a = {"X-Forwarded-For": "10.0.0.1, 192.168.1.1"}
    b = {"X-Forwarded-For": "10.0.0.2"}
    assert c.get("/api/v1/health", headers=a).status_code == 200
    assert c.get("/api/v1/health", headers=a).status_code == 429
    assert c.get("/api/v1/health", headers=b).status_code == 200


def test_token_bucket_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(60, 2, clock=lambda: now[0])
    assert [bucket.take("ip"), bucket.take("ip")] == [0.0, 0.0]
    assert bucket.take("ip") == pytest.approx(1.0)
    now[0] += 1.0
    assert bucket.take("ip") == 0.0
    assert TokenBucket.retry_after(0.2) == 1


def test_security_headers_everywhere(client: TestClient) -> None:
    for path in ("/", "/api/v1/health", "/docs", "/api/v1/nope", "/api/v1/governance/cases", "/login"):
        r = client.get(path, follow_redirects=False)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"]


def test_api_docs_have_no_inline_script(client: TestClient) -> None:
    html = client.get("/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "onload=" not in html and "javascript:" not in html
    init = client.get("/docs/swagger-init.js")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.text
    assert "javascript" in init.headers["content-type"]


def test_request_size_limits(app_with, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    c = app_with(MAX_REQUEST_BYTES="2000", MAX_UPLOAD_BYTES="50000")
    big = "x" * 3000
    r = c.post("/login", data={"username": big, "password": big})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    # The upload endpoints have their own, larger limit.
    h = {"X-Api-Key": accounts.provider_key}
    files = {"file": ("a.csv", b"a,b\n" + b"1,2\n" * 1000, "text/csv")}
    r = c.post("/api/v1/submissions/file", headers=h, data={"item": "administrative_penalty"}, files=files)
    assert r.status_code != 413
    files = {"file": ("a.csv", b"a,b\n" + b"1,2\n" * 20000, "text/csv")}
    r = c.post("/api/v1/submissions/file", headers=h, data={"item": "administrative_penalty"}, files=files)
    assert r.status_code == 413

    # A body without Content-Length is counted as it arrives.
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b"y" * 1000

    r = c.post("/api/v1/governance/detect", content=chunks(), headers={"X-Api-Key": "xy_none_none"})
    assert r.status_code in (401, 413)


def test_no_stack_traces_to_clients(app_with, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    c = app_with()
    app = c.app
    assert isinstance(app, FastAPI)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret detail: /srv/xinyong/db password=hunter2")

    monkeypatch.setitem(policy.POLICY, ("GET", "/api/v1/boom"), policy.PUBLIC)
    r = c.get("/api/v1/boom")
    assert r.status_code == 500
    assert r.json() == {
        "error": {
            "code": "internal_error",
            "message": "Internal error",
            "message_zh": "系统内部错误，请稍后再试",
            "details": {},
        }
    }
    assert "hunter2" not in r.text and "Traceback" not in r.text


def test_a_route_without_policy_is_denied(app_with) -> None:  # type: ignore[no-untyped-def]
    c = app_with()
    app = c.app
    assert isinstance(app, FastAPI)

    @app.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "data"}

    r = c.get("/api/v1/forgotten")
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.no_policy"
    assert "secret" not in r.text


def test_routes_refuse_to_run_unchecked(db: Database) -> None:
    """Second lock: without the access middleware (or if it missed the route) routes refuse."""
    from xinyong.accounts.middleware import AccessMiddleware
    from xinyong.app import create_app

    app = create_app(db)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not AccessMiddleware]
    with TestClient(app) as c:
        r = c.get("/api/v1/health")
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.no_policy"
        assert c.get("/catalog").status_code == 403
