"""Portal login: password check, session cookie, logout, lockout, no username enumeration,
password policy, CSRF on forms, idle and absolute session expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.accounts.helpers import PASSWORD, Accounts, csrf_of, form_token, login
from xinyong.accounts import service
from xinyong.accounts.models import User, UserSession
from xinyong.core.db import Database, utcnow
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import reset_settings
from xinyong.demo import accounts as demo_accounts


def test_wrong_password_and_unknown_user_answer_alike(client: TestClient, accounts: Accounts) -> None:
    wrong = login(client, "t_bank", "Wrong-password-1")
    unknown = login(client, "nobody_here", "Wrong-password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert client.get("/api/v1/me").status_code == 401


def test_lockout_after_repeated_failures(
    client: TestClient, accounts: Accounts, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("XINYONG_LOGIN_LOCKOUT_MINUTES", "15")
    reset_settings()
    assert "用户名或密码错误" in login(client, "t_bank", "Wrong-password-1").text
    assert "用户名或密码错误" in login(client, "t_bank", "Wrong-password-2").text
    third = login(client, "t_bank", "Wrong-password-3")
    assert third.status_code == 401 and "账户已临时锁定" in third.text and "15 分钟" in third.text
    # Locked: even the right password is refused, with the same message.
    locked = login(client, "t_bank", PASSWORD)
    assert locked.status_code == 401 and "账户已临时锁定" in locked.text
    # An unknown username behaves the same way: the lockout does not reveal who exists.
    for _ in range(2):
        assert "用户名或密码错误" in login(client, "ghost_user", "Wrong-password-1").text
    assert "账户已临时锁定" in login(client, "ghost_user", "Wrong-password-1").text
    # The lockout ends after its time, or when an administrator unlocks the account.
    service.unlock_user(session, "t_bank", by="test")
    session.commit()
    assert login(client, "t_bank").status_code == 303


def test_lockout_expires(client: TestClient, accounts: Accounts, session: Session) -> None:
    session.execute(
        update(User).where(User.username == "t_bank").values(locked_until=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert login(client, "t_bank").status_code == 303


def test_disabled_account_cannot_log_in_and_loses_its_sessions(
    client: TestClient, accounts: Accounts, session: Session
) -> None:
    assert login(client, "t_bank").status_code == 303
    service.lock_user(session, "t_bank", by="test")
    session.commit()
    assert client.get("/api/v1/me").status_code == 401
    r = login(client, "t_bank")
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_password_policy(session: Session, accounts: Accounts) -> None:
    assert service.check_password("Short1!", "zhang") == ["min_length"]
    assert service.check_password("alllowercaseletters", "zhang") == ["min_classes"]
    assert service.check_password("Zhangsan-2026x", "zhangsan") == ["contains_username"]
    assert service.check_password("Qiye-xinyong-2026", "zhangsan") == []
    assert service.check_password("信用平台密码abc123", "x") == []  # Chinese counts as "other"
    policy = service.password_policy()
    assert (policy.min_length, policy.min_classes) == (10, 3) and "22239" in policy.source
    with pytest.raises(InvalidInput) as err:
        service.create_user(
            session, username="weak_one", display_name="弱", role="admin", password="password12"
        )
    assert err.value.code == "accounts.weak_password" and err.value.details["rules"] == ["min_classes"]


def test_forms_need_the_csrf_token(client: TestClient, accounts: Accounts) -> None:
    # Before login: the login form's double-submit token.
    client.get("/login")
    r = client.post("/login", data={"username": "t_bank", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "页面已过期" in r.text
    r = client.post(
        "/login",
        data={"username": "t_bank", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    # Signed in: the session's token, as a form field or the X-CSRF-Token header.
    assert login(client, "t_bank").status_code == 303
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still signed in
    # JSON calls from pages carry the header; without it a cookie-authenticated call is refused.
    login(client, "t_admin")
    body = {"code": "tz_new", "name": "新部门"}
    refused = client.post("/api/v1/accounts/departments", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.csrf_failed"
    done = client.post("/api/v1/accounts/departments", json=body, headers={"X-CSRF-Token": csrf_of(client)})
    assert done.status_code == 201, done.text


def test_session_idle_and_absolute_expiry(client: TestClient, accounts: Accounts, session: Session) -> None:
    login(client, "t_regulator")
    assert client.get("/api/v1/me").status_code == 200
    # Idle for longer than session_idle_minutes (default 30).
    session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    session.commit()
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert "xinyong_session=" in r.headers.get("set-cookie", "")  # the stale cookie is cleared

    login(client, "t_regulator")
    assert client.get("/api/v1/me").status_code == 200
    # Older than session_absolute_minutes, however active.
    session.execute(
        update(UserSession)
        .where(UserSession.ended_at.is_(None))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_each_login_is_a_new_session(client: TestClient, accounts: Accounts) -> None:
    login(client, "t_bank")
    first = client.cookies.get("xinyong_session")
    token = form_token(client.get("/account").text)
    login(client, "t_bank")
    second = client.cookies.get("xinyong_session")
    assert first and second and first != second
    assert form_token(client.get("/account").text) != token
    # The first session ended when the second began.
    client.cookies.set("xinyong_session", first)
    assert client.get("/api/v1/me").status_code == 401


def test_demo_accounts_one_per_role(client: TestClient, accounts: Accounts, session: Session) -> None:
    from tests.accounts.helpers import COMPANY_USCC
    from xinyong.accounts.principal import ACCOUNT_ROLES

    def ensure() -> list[demo_accounts.DemoAccount]:
        return demo_accounts.ensure_demo_accounts(
            session,
            staff_department=("tz_xyb", "台州市信用办"),
            provider_code=accounts.provider_code,
            regulator_provider_code=accounts.provider_code,
            subject_code=COMPANY_USCC,
        )

    made = ensure()
    session.commit()
    assert sorted(a.role for a in made) == sorted(ACCOUNT_ROLES)
    again = ensure()
    assert [a.username for a in again] == [a.username for a in made]  # idempotent
    for a in made:
        client.cookies.clear()
        assert login(client, a.username, a.password).status_code == 303, a.username
        assert client.get("/api/v1/me").json()["role"] == a.role


def test_failed_logins_elsewhere_do_not_end_a_running_session(
    client: TestClient, db: Database, accounts: Accounts
) -> None:
    from xinyong.app import create_app

    assert login(client, "t_bank").status_code == 303
    with TestClient(create_app(db)) as attacker:
        for _ in range(6):
            login(attacker, "t_bank", "Guess-password-1")
        assert "账户已临时锁定" in login(attacker, "t_bank").text
    assert client.get("/api/v1/me").status_code == 200
