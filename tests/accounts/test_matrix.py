"""The authorisation matrix: every route of the app (OpenAPI schema and pages) x every role,
called for real and compared with the ONE declared policy table (xinyong/accounts/policy.py).

Adding a route without a rule fails ``test_every_route_is_declared``; a rule that lets the wrong
role in (or keeps the right one out) fails ``test_authorisation_matrix``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.accounts.helpers import Accounts
from xinyong.accounts import policy, service
from xinyong.accounts.middleware import DENIED_HEADER, route_entries
from xinyong.accounts.principal import ACCOUNT_ROLES, ROLES
from xinyong.core.db import Database
from xinyong.core.settings import reset_settings

_PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


@pytest.fixture
def app_client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from xinyong.app import create_app

    monkeypatch.setenv("XINYONG_RATE_LIMIT_PER_MINUTE", "0")  # hundreds of calls from one IP
    reset_settings()
    with TestClient(create_app(db), raise_server_exceptions=False) as c:
        yield c


def _routes(client: TestClient) -> set[tuple[str, str]]:
    return {(m, e.template) for e in route_entries(client.app) for m in e.methods if m != "HEAD"}


def _fill(template: str) -> str:
    return _PARAM.sub("999999", template)  # no such row: calls stay harmless


def _policy_routes(client: TestClient) -> Iterator[tuple[str, str, policy.Rule, str]]:
    """Every route of the app: method, template, its policy rule and a path to call."""
    for method, template in sorted(_routes(client)):
        yield method, template, policy.POLICY[(method, template)], _fill(template)


def _is_page(template: str) -> bool:
    return not (
        template.startswith("/api/") or template.startswith("/static/") or template.startswith("/docs")
    )


def _denied_by_policy(r: Response) -> str | None:
    """The policy's denial code (the middleware marks every refusal), or None when the request
    got past the policy (whatever the route itself then answered)."""
    return r.headers.get(DENIED_HEADER)


def test_every_route_is_declared(app_client: TestClient) -> None:
    routes = _routes(app_client)
    undeclared = sorted(routes - set(policy.POLICY))
    stale = sorted(set(policy.POLICY) - routes)
    assert not undeclared, (
        f"routes without an access rule: {undeclared} — add a line for each to POLICY in "
        "xinyong/accounts/policy.py (PUBLIC, or only(<roles>, <scope>)); the matrix below then "
        "checks it for every role"
    )
    assert not stale, f"rules for routes that do not exist: {stale}"


def test_enumeration_covers_the_openapi_schema(app_client: TestClient) -> None:
    schema = app_client.get("/openapi.json").json()
    in_schema = {(m.upper(), path) for path, ops in schema["paths"].items() for m in ops}
    assert in_schema and in_schema <= _routes(app_client)
    pages = _routes(app_client) - in_schema
    assert ("GET", "/login") in pages and ("GET", "/") in pages  # non-schema page routes too


class Callers:
    """A fresh session (user) or key per call, so calls like /logout cannot spoil the next one."""

    def __init__(self, db: Database, accounts: Accounts) -> None:
        self.db = db
        self.accounts = accounts
        self._keys: dict[tuple[str, frozenset[str]], str] = {}
        self._sessions: dict[str, tuple[dict[str, str], dict[str, str]]] = {}

    def user(self, role: str, method: str) -> tuple[dict[str, str], dict[str, str]]:
        """A session of ``role``: a new one after any state-changing call (it may have ended it)."""
        if method != "GET" or role not in self._sessions:
            with self.db.session() as s:
                token, csrf = service.create_session(s, self.accounts.usernames[role])
            self._sessions[role] = ({"xinyong_session": token}, {"X-CSRF-Token": csrf})
        cookies, headers = self._sessions[role]
        if method != "GET":
            del self._sessions[role]
        return cookies, headers

    def key(self, role: str, scopes: frozenset[str]) -> dict[str, str]:
        if (role, scopes) not in self._keys:
            with self.db.session() as s:
                owner = self.accounts.usernames[role]
                _, key = service.create_api_key(
                    s, name=f"matrix {role}", role=role, scopes=sorted(scopes), username=owner
                )
            self._keys[(role, scopes)] = key
        return {"Authorization": f"Bearer {self._keys[(role, scopes)]}"}


def _call(
    client: TestClient, method: str, path: str, headers: dict[str, str], cookies: dict[str, str]
) -> Response:
    client.cookies.clear()
    for k, v in cookies.items():
        client.cookies.set(k, v)
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if method in ("POST", "PUT", "PATCH"):
        # A body no route accepts: allowed calls stop at validation (422) instead of doing work.
        kwargs["json"] = []
    return client.request(method, path, **kwargs)


def test_authorisation_matrix(app_client: TestClient, db: Database, accounts: Accounts) -> None:
    callers = Callers(db, accounts)
    failures: list[str] = []
    for method, template, rule, path in _policy_routes(app_client):
        for role in ROLES:
            if role == "public":
                headers: dict[str, str] = {}
                cookies: dict[str, str] = {}
            else:
                cookies, headers = callers.user(role, method)
            r = _call(app_client, method, path, headers, cookies)
            got = _denied_by_policy(r)
            if r.status_code >= 500:  # issue 20: no input reaches a 500, whoever sends it
                failures.append(f"{role} {method} {template}: {r.status_code}")
            allowed = rule.public or role in rule.roles
            if allowed and got is not None:
                failures.append(f"{role} {method} {template}: denied ({got}, {r.status_code}), policy allows")
            if not allowed:
                want = policy.LOGIN_REQUIRED if role == "public" else policy.ROLE_DENIED
                want_status = (303 if _is_page(template) else 401) if role == "public" else 403
                if got != want or r.status_code != want_status:
                    failures.append(
                        f"{role} {method} {template}: got {r.status_code} {got}, want {want_status} {want}"
                    )
    assert not failures, "\n".join(failures)


def test_authorisation_matrix_for_api_keys(app_client: TestClient, db: Database, accounts: Accounts) -> None:
    callers = Callers(db, accounts)
    failures: list[str] = []
    for method, template, rule, path in _policy_routes(app_client):
        for role in ACCOUNT_ROLES:
            every = frozenset(policy.scopes_for_role(role))
            r = _call(app_client, method, path, callers.key(role, every), {})
            got = _denied_by_policy(r)
            if rule.public or (role in rule.roles and rule.scope is not None):
                if got is not None:
                    failures.append(f"key {role} {method} {template}: denied ({got}), policy allows")
                if rule.scope not in (None, policy.ANY_KEY) and not rule.public:
                    # The same role without that one scope is refused.
                    fewer = every - {rule.scope}
                    if fewer:
                        r = _call(app_client, method, path, callers.key(role, fewer), {})
                        if _denied_by_policy(r) != policy.SCOPE_DENIED:
                            failures.append(
                                f"key {role} without {rule.scope} {method} {template}: {r.status_code}"
                            )
            else:
                want = policy.ROLE_DENIED if role not in rule.roles else policy.KEY_NOT_ALLOWED
                if got != want or r.status_code != 403:
                    failures.append(
                        f"key {role} {method} {template}: got {r.status_code} {got}, want 403 {want}"
                    )
    assert not failures, "\n".join(failures)
