"""Commands of the querylog domain: ``xinyong querylog purge|export|flags|purposes`` and
``xinyong keys rotate-pii`` (re-encrypt stored ID numbers with the current key).

Run on the platform's own host; the acting user is recorded as ``cli:<operating-system user>``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from xinyong.accounts.cli import console_principal
from xinyong.accounts.principal import ROLE_NAMES_ZH
from xinyong.core.cli_common import cli_session, cli_table, operator_label, parse_day
from xinyong.core.crypto import current_key_version
from xinyong.ledger import service as ledger
from xinyong.querylog import service
from xinyong.subjects import service as subjects_service

querylog_app = typer.Typer(
    short_help="查询记录：到期清理、导出、异常查询量、查询用途。",
    help="查询记录（query log）：到期清理、导出 CSV、异常查询量提示、查询用途。",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="加密密钥（个人信息加密）：轮换（rotate-pii）。", no_args_is_help=True)
console = Console()


def register(app: typer.Typer) -> None:
    app.add_typer(querylog_app, name="querylog")
    app.add_typer(keys_app, name="keys")


@querylog_app.command("purge", short_help="清理超过保存期限的查询记录。")
def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="只统计将被清理的条数"),
) -> None:
    """清理超过保存期限的查询记录（默认至少 5 年），不动其他数据；清理本身会记录并写入账本。"""
    with cli_session() as session:
        result = service.purge(session, by=operator_label(), dry_run=dry_run)
    verb = "将清理" if dry_run else "已清理"
    console.print(
        f"保存期 {result.retention_years} 年；截止 {result.cutoff.isoformat()}；{verb} {result.removed} 条"
    )


@querylog_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", "-o", help="输出的 CSV 文件（UTF-8，带 BOM）"),
    subject: str = typer.Option(None, help="主体：统一社会信用代码、身份证号码或主体编号"),
    actor: str = typer.Option(None, help="查询者，如 user:zhangsan 或 key:xy_3f2a…"),
    purpose: str = typer.Option(None, help="查询用途代码或名称"),
    date_from: str = typer.Option(None, "--from", help="开始日期（YYYY-MM-DD，中国时区）"),
    date_to: str = typer.Option(None, "--to", help="结束日期（YYYY-MM-DD，中国时区）"),
) -> None:
    """将查询记录导出为 CSV（导出本身也会记入查询记录，用途为审计）。"""
    with cli_session() as session:
        f = service.LogFilter(
            subject_id=service.subject_ref(session, subject) if subject else None,
            actor=actor,
            purpose=purpose,
            date_from=parse_day(date_from, "--from"),
            date_to=parse_day(date_to, "--to"),
        )
        text, n = service.export_csv(session, f)
        out.write_text(text, encoding="utf-8")
        service.log_audit(
            session, console_principal(), f, action="query_log.export", result_count=n, channel="cli"
        )
    console.print(f"已导出 {n} 条查询记录 → {out}")


def _reason_zh(flag: service.VolumeFlag, reason: str) -> str:
    """Which threshold of ``querylog.yaml`` the day passed, in words."""
    if reason == "max_queries":
        return f"查询次数超过 {flag.max_queries}"
    if reason == "max_subjects":
        return f"查询主体数超过 {flag.max_subjects}"
    return reason


@querylog_app.command("flags")
def flags(
    day: str = typer.Option(None, "--date", help="日期（YYYY-MM-DD，中国时区）；默认今天"),
    all_users: bool = typer.Option(False, "--all", help="列出当天所有用户，而不只是被提示的"),
) -> None:
    """某日查询量超过阈值的用户与密钥。"""
    with cli_session() as session:
        found = service.unusual_volume(session, parse_day(day, "--date"), only_flagged=not all_users)
    table = cli_table("查询人", "单位", "角色", "次数", "主体数", "异常")
    for f in found:
        table.add_row(
            f.actor,
            f.organisation,
            ROLE_NAMES_ZH.get(f.role, f.role),
            str(f.queries),
            str(f.subjects),
            "、".join(_reason_zh(f, reason) for reason in f.reasons) or "-",
        )
    console.print(table)


@querylog_app.command("purposes")
def purposes() -> None:
    """现行的查询用途及可使用各用途的角色。"""
    table = cli_table("代码", "用途", "角色")
    for p in service.list_purposes():
        table.add_row(p.code, p.name_zh, ", ".join(p.roles))
    console.print(table)


@keys_app.command("rotate-pii", short_help="用当前密钥版本重新加密已保存的身份证号码。")
def rotate_pii(batch: int = typer.Option(500, min=1, help="每个事务处理的行数")) -> None:
    """用当前密钥版本（XINYONG_PII_KEY_VERSION）重新加密已保存的身份证号码。
    可随时中断后重跑；完成前旧密钥版本须保留在配置中。"""
    total = 0
    while True:
        with cli_session() as session:
            n = subjects_service.reencrypt_id_numbers(session, batch=batch)
            if n:
                ledger.append(
                    session,
                    "pii.reencrypt",
                    f"pii_key:v{current_key_version()}",
                    {"table": "subjects", "column": "id_number_enc", "rows": n, "by": operator_label()},
                )
        total += n
        if n < batch:
            break
    console.print(f"已用第 {current_key_version()} 版密钥重新加密 {total} 个身份证号码")
