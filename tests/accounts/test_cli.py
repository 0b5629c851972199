"""``xinyong user`` / ``xinyong key`` / ``xinyong dept``: the administrators' commands."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.accounts.helpers import PASSWORD, Accounts
from xinyong.accounts import service
from xinyong.cli import app
from xinyong.core.db import Database


def test_user_commands(db: Database, accounts: Accounts, session: Session) -> None:
    run = CliRunner().invoke
    r = run(app, ["dept", "add", "tz_sw", "--name", "国家税务总局台州市税务局"])
    assert r.exit_code == 0, r.output
    r = run(
        app,
        ["user", "add", "li_si", "--name", "李四", "--role", "regulator", "--department", "tz_sw"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert r.exit_code == 0, r.output
    assert "已创建用户 li_si" in r.output and PASSWORD not in r.output
    weak = run(app, ["user", "add", "wang", "--name", "王", "--role", "admin", "--password", "weakweak"])
    assert weak.exit_code == 2 and "密码不符合要求" in weak.output
    listed = run(app, ["user", "list", "--json"])
    users = {u["username"]: u for u in json.loads(listed.output)}
    assert users["li_si"]["department_code"] == "tz_sw" and "password_hash" not in users["li_si"]

    assert run(app, ["user", "lock", "li_si"]).exit_code == 0
    assert not service.get_user(session, "li_si").active
    assert run(app, ["user", "unlock", "li_si"]).exit_code == 0
    session.expire_all()
    assert service.get_user(session, "li_si").active
    r = run(app, ["user", "passwd", "li_si", "--password", "Another-pass-77"])
    assert r.exit_code == 0, r.output
    assert service.login(session, "li_si", "Another-pass-77").ok
    session.commit()
    assert run(app, ["user", "lock", "nobody"]).exit_code == 2


def test_key_commands(db: Database, accounts: Accounts, session: Session) -> None:
    run = CliRunner().invoke
    r = run(
        app,
        [
            "key",
            "create",
            "--name",
            "市监局报送系统",
            "--role",
            "provider",
            "--provider",
            accounts.provider_code,
            "--item",
            "administrative_penalty",
            "--days",
            "90",
        ],
    )
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    assert key.startswith("xy_") and "只显示这一次" in r.output
    principal, _ = service.resolve_principal(session, api_key=key)
    session.commit()  # resolving writes last_used_at
    assert principal.provider_code == accounts.provider_code and principal.items == {"administrative_penalty"}

    # The provider's own key (issued when it was registered) is listed too: one key system.
    listed = json.loads(run(app, ["key", "list", "--json"]).output)
    assert [(k["name"], k["status"]) for k in listed] == [
        (service.PROVIDER_KEY_NAME, "active"),
        ("市监局报送系统", "active"),
    ]
    assert "key" not in listed[1]
    rotated = run(app, ["key", "rotate", str(listed[1]["id"])])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.output.strip().splitlines()[-1]
    assert new_key != key
    revoked = run(app, ["key", "revoke", new_key.split("_")[1]])
    assert revoked.exit_code == 0, revoked.output
    all_keys = json.loads(run(app, ["key", "list", "--all", "--json"]).output)
    assert [k["status"] for k in all_keys] == ["active", "revoked", "revoked"]
    bad = run(
        app,
        [
            "key",
            "create",
            "--name",
            "x",
            "--role",
            "bank",
            "--department",
            "tz_bank",
            "--scope",
            "governance:write",
        ],
    )
    assert bad.exit_code == 2 and "权限范围" in bad.output
