"""Administrators' commands: ``xinyong user ...``, ``xinyong key ...``, ``xinyong dept ...``.

Run on the platform's own host (whoever runs them has the store's credentials). Each change is
recorded in the ledger as done by ``cli:<operating-system user>``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer
from rich.console import Console

from xinyong.accounts.api_keys import create_api_key, list_api_keys, revoke_api_key, rotate_api_key
from xinyong.accounts.departments import create_department, list_departments
from xinyong.accounts.policy import SCOPES
from xinyong.accounts.principal import ACCOUNT_ROLES, ROLE_NAMES_ZH, Principal
from xinyong.accounts.users import create_user, list_users, lock_user, set_password, unlock_user
from xinyong.accounts.views import ApiKeyInfo
from xinyong.core.cli_common import cli_session, cli_table, operator_label, os_user

_ROLES_HELP = "角色：" + " / ".join(f"{role}（{ROLE_NAMES_ZH.get(role, role)}）" for role in ACCOUNT_ROLES)

user_app = typer.Typer(
    help="用户管理（portal users）：新增、列表、改密码、锁定、解锁。", no_args_is_help=True
)
key_app = typer.Typer(help="API 密钥管理（供系统调用）：签发、列表、吊销、轮换。", no_args_is_help=True)
dept_app = typer.Typer(help="部门管理（用户与密钥所属的部门）：新增、列表。", no_args_is_help=True)
console = Console()


def console_principal() -> Principal:
    """The operator at the server's console as a caller: credit office staff (a window report,
    a query logged for audit), with the operating-system user as the user name."""
    return Principal(role="credit_office", kind="cli", username=os_user(), display_name="命令行")


def _password_option(what: str) -> Any:
    """``--password``, asked for twice without echo when it is left out."""
    return typer.Option(
        ...,
        "--password",
        prompt=what,
        hide_input=True,
        confirmation_prompt=True,
        help=f"{what}（省略时提示输入）",
    )


def _when(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else "-"


# ---------------------------------------------------------------------------------------------
# users


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="登录名（小写字母、数字及 _ . @ -）"),
    name: str = typer.Option(..., "--name", help="显示名称，如 张三"),
    role: str = typer.Option(..., "--role", help=_ROLES_HELP),
    department: str | None = typer.Option(None, "--department", help="部门代码"),
    provider: str | None = typer.Option(None, "--provider", help="信息提供单位代码（信息提供单位账号）"),
    subject: str | None = typer.Option(
        None, "--subject", help="统一社会信用代码或身份证号码（信用主体账号）"
    ),
    password: str = _password_option("密码"),
) -> None:
    """新增门户用户。"""
    with cli_session() as s:
        u = create_user(
            s,
            username=username,
            display_name=name,
            role=role,
            password=password,
            department_code=department,
            provider_code=provider,
            subject_code=subject,
            by=operator_label(),
        )
    typer.echo(
        f"已创建用户 {u.username}（{u.role_zh}{'，' + u.department_name if u.department_name else ''}）"
    )


@user_app.command("list")
def user_list(
    role: str | None = typer.Option(None, "--role", help="只看该角色"),
    department: str | None = typer.Option(None, "--department", help="只看该部门"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出用户。"""
    with cli_session() as s:
        users = list_users(s, role=role, department_code=department)
    if as_json:
        typer.echo(json.dumps([u.__dict__ for u in users], ensure_ascii=False, default=str, indent=1))
        return
    table = cli_table(
        "用户名",
        "姓名",
        "角色",
        "部门",
        "主体",
        "状态",
        "最近登录",
        codes=["用户名", "部门"],
    )
    for u in users:
        state = "停用" if not u.active else ("锁定至 " + _when(u.locked_until) if u.locked_until else "正常")
        table.add_row(
            u.username,
            u.display_name,
            u.role_zh,
            u.department_code or "-",
            str(u.subject_id or "-"),
            state,
            _when(u.last_login_at),
        )
    console.print(table)
    typer.echo(f"共 {len(users)} 个用户")


@user_app.command("passwd")
def user_passwd(
    username: str = typer.Argument(..., help="登录名"),
    password: str = _password_option("新密码"),
) -> None:
    """设置用户密码（其现有会话随即结束）。"""
    with cli_session() as s:
        set_password(s, username, password, by=operator_label())
    typer.echo(f"已为 {username} 设置新密码，其登录会话已全部退出")


@user_app.command("lock")
def user_lock(username: str = typer.Argument(..., help="登录名")) -> None:
    """停用用户直至解锁（其会话立即结束）。"""
    with cli_session() as s:
        lock_user(s, username, by=operator_label())
    typer.echo(f"已停用用户 {username}")


@user_app.command("unlock")
def user_unlock(username: str = typer.Argument(..., help="登录名")) -> None:
    """重新启用用户，并解除登录失败造成的锁定。"""
    with cli_session() as s:
        unlock_user(s, username, by=operator_label())
    typer.echo(f"已解锁用户 {username}")


# ---------------------------------------------------------------------------------------------
# API keys


def _print_new_key(info: ApiKeyInfo, key: str) -> None:
    typer.echo(f"API 密钥 #{info.id}（{info.name}，{ROLE_NAMES_ZH.get(info.role, info.role)}）")
    typer.echo(f"  权限范围：{', '.join(info.scopes)}")
    if info.items:
        typer.echo(f"  目录项：{', '.join(info.items)}")
    typer.echo(f"  有效期至：{_when(info.expires_at)}")
    typer.echo("  密钥只显示这一次，请妥善保存：")
    typer.echo(key)


@key_app.command("create")
def key_create(
    name: str = typer.Option(..., "--name", help="使用该密钥的系统名称"),
    role: str = typer.Option(..., "--role", help=_ROLES_HELP),
    scope: list[str] = typer.Option(
        None, "--scope", help=f"权限范围（可重复；默认按角色）：{', '.join(SCOPES)}"
    ),
    item: list[str] = typer.Option(None, "--item", help="目录项代码（可重复）；不指定则不限目录项"),
    department: str | None = typer.Option(None, "--department", help="所属部门代码"),
    provider: str | None = typer.Option(None, "--provider", help="信息提供单位代码（信息提供单位密钥）"),
    user: str | None = typer.Option(None, "--user", help="所属用户（登录名）"),
    subject: str | None = typer.Option(
        None, "--subject", help="统一社会信用代码或身份证号码（信用主体密钥）"
    ),
    days: int | None = typer.Option(None, "--days", help="有效天数（0 表示永不过期）；默认取设置"),
) -> None:
    """签发 API 密钥（只打印一次；只保存其哈希）。"""
    with cli_session() as s:
        info, key = create_api_key(
            s,
            name=name,
            role=role,
            scopes=scope or None,
            items=item or (),
            department_code=department,
            provider_code=provider,
            username=user,
            subject_code=subject,
            expires_in_days=days,
            by=operator_label(),
        )
    _print_new_key(info, key)


@key_app.command("list")
def key_list(
    department: str | None = typer.Option(None, "--department", help="只看该部门"),
    all_keys: bool = typer.Option(False, "--all", help="包括已吊销的密钥"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出 API 密钥（不显示密钥本身）。"""
    with cli_session() as s:
        keys = list_api_keys(s, department_code=department, include_revoked=all_keys)
    if as_json:
        typer.echo(
            json.dumps(
                [{**k.__dict__, "status": k.status} for k in keys], ensure_ascii=False, default=str, indent=1
            )
        )
        return
    table = cli_table(
        "#",
        "前缀",
        "名称",
        "角色",
        "部门",
        "权限范围",
        "状态",
        "有效期至",
        "最近使用",
        codes=["前缀", "部门"],
    )
    for k in keys:
        table.add_row(
            str(k.id),
            k.prefix,
            k.name,
            ROLE_NAMES_ZH.get(k.role, k.role),
            k.department_code or "-",
            ", ".join(k.scopes),
            {"active": "有效", "expired": "已过期", "revoked": "已吊销"}[k.status],
            _when(k.expires_at),
            _when(k.last_used_at),
        )
    console.print(table)


@key_app.command("revoke")
def key_revoke(key: str = typer.Argument(..., help="密钥编号或前缀")) -> None:
    """吊销密钥：立即失效。"""
    with cli_session() as s:
        info = revoke_api_key(s, key, by=operator_label())
    typer.echo(f"已吊销 API 密钥 #{info.id}（{info.prefix}）")


@key_app.command("rotate")
def key_rotate(
    key: str = typer.Argument(..., help="密钥编号或前缀"),
    grace_minutes: int = typer.Option(0, "--grace-minutes", help="旧密钥继续有效的分钟数"),
) -> None:
    """以新密钥替换旧密钥（所属、角色、权限范围、目录项不变）。"""
    with cli_session() as s:
        info, new_key = rotate_api_key(s, key, by=operator_label(), grace_minutes=grace_minutes)
    _print_new_key(info, new_key)


# ---------------------------------------------------------------------------------------------
# departments


@dept_app.command("add")
def dept_add(
    code: str = typer.Argument(..., help="部门代码，如 TZ-CZJ"),
    name: str = typer.Option(..., "--name", help="部门名称，如 台州市财政局"),
    provider: str | None = typer.Option(None, "--provider", help="其报送数据时使用的信息提供单位代码"),
) -> None:
    """登记部门。"""
    with cli_session() as s:
        d = create_department(s, code, name, provider_code=provider, by=operator_label())
    typer.echo(f"已登记部门 {d.code} {d.name}")


@dept_app.command("list")
def dept_list() -> None:
    """列出部门。"""
    with cli_session() as s:
        rows = list_departments(s)
    table = cli_table(
        "编码",
        "名称",
        "信息提供单位",
        "状态",
        codes=["编码", "信息提供单位"],
    )
    for d in rows:
        table.add_row(d.code, d.name, d.provider_code or "-", "正常" if d.active else "停用")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(key_app, name="key")
    app.add_typer(dept_app, name="dept")
