"""The account pages (``xinyong/portal/account``): sign-in sets the session cookie and sign-out
ends it, the password change page, redirects after sign-in stay on this site, and the page the
access middleware shows when a page is refused."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.accounts import conftest as accounts_fixtures
from tests.accounts.helpers import PASSWORD, Accounts, csrf_of, login
from xinyong.core.db import Database
from xinyong.portal.account.pages import denied_page
from xinyong.portal.strings import has
from xinyong.portal.templating import TEMPLATES_DIR

# As in the accounts tests: cheap argon2, the per-IP rate limit left as configured (the portal's
# fixture turns it off), no remembered unknown usernames; one user per role.
_cheap_hashing = accounts_fixtures._cheap_hashing
accounts = accounts_fixtures.accounts


def test_login_sets_a_secure_session_cookie_and_logout_ends_it(
    client: TestClient, accounts: Accounts
) -> None:
    r = login(client, "t_regulator", next_url="/account")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    cookie = r.headers["set-cookie"]
    assert "xinyong_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in this test; see the https test below
    me = client.get("/api/v1/me").json()
    assert (me["kind"], me["role"], me["username"], me["department_code"]) == (
        "user",
        "regulator",
        "t_regulator",
        "tz_fgw",
    )
    page = client.get("/account")
    assert page.status_code == 200 and "测试regulator" in page.text and "监管部门" in page.text

    out = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=%2Faccount"


def test_session_cookie_is_secure_over_https(db: Database, accounts: Accounts) -> None:
    from xinyong.app import create_app

    with TestClient(create_app(db), base_url="https://testserver") as c:
        r = login(c, "t_bank")
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
        assert c.get("/api/v1/me").json()["role"] == "bank"


def test_change_password_page(client: TestClient, accounts: Accounts) -> None:
    login(client, "t_admin")
    token = csrf_of(client)
    weak = client.post(
        "/account/password", data={"current": PASSWORD, "new": "abc", "confirm": "abc", "csrf_token": token}
    )
    assert weak.status_code == 422 and "密码不符合要求" in weak.text
    wrong = client.post(
        "/account/password",
        data={"current": "nope", "new": "New-Pass-2027", "confirm": "New-Pass-2027", "csrf_token": token},
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    ok = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "New-Pass-2027", "confirm": "New-Pass-2027", "csrf_token": token},
    )
    assert ok.status_code == 200 and "密码已修改" in ok.text
    client.post("/logout", data={"csrf_token": token})
    assert login(client, "t_admin").status_code == 401
    assert login(client, "t_admin", "New-Pass-2027").status_code == 303


def test_login_redirect_stays_on_this_site(client: TestClient, accounts: Accounts) -> None:
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = login(client, "t_bank", next_url=evil)
        assert r.headers["location"] == "/account"
    client.cookies.clear()
    page = client.get("/login?next=/publicity")
    assert 'name="next" value="/publicity"' in page.text


def test_each_role_lands_on_its_home_after_login(client: TestClient, accounts: Accounts) -> None:
    """Without a page that asked for the login, a subject lands on its file and staff on the
    console; a page that asked (next) still wins."""
    homes = {"subject": "/me", "credit_office": "/console", "provider": "/console", "admin": "/console"}
    for role, home in homes.items():
        client.cookies.clear()
        r = login(client, f"t_{role}")
        assert (r.status_code, r.headers["location"]) == (303, home), role
    client.cookies.clear()
    assert login(client, "t_bank").headers["location"] == "/account"
    client.cookies.clear()
    assert login(client, "t_subject", next_url="/publicity").headers["location"] == "/publicity"


def test_account_templates_use_known_strings() -> None:
    used = set()
    for path in (TEMPLATES_DIR / "account").glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used and sorted(k for k in used if not has(k)) == []


def test_refused_pages_are_shown_in_chinese_and_never_cached(client: TestClient, accounts: Accounts) -> None:
    page = denied_page(403, "当前角色无权访问该功能")
    assert page.status_code == 403 and page.headers["cache-control"] == "no-store"
    assert "当前角色无权访问该功能" in page.body.decode()
    login(client, "t_bank")
    refused = client.get("/console", follow_redirects=False)
    assert refused.status_code == 403 and refused.headers["x-access-denied"] == "auth.role_denied"
    assert refused.headers["cache-control"] == "no-store" and "<!doctype html>" in refused.text.lower()
