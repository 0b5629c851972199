"""Commands of the querylog domain: ``xinyong querylog purge|export|flags|purposes`` and
``xinyong keys rotate-pii`` (re-encrypt stored ID numbers with the current key).

Run on the platform's own host; the acting user is recorded as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.core.cli_errors import fail
from xinyong.core.crypto import current_key_version
from xinyong.core.db import get_database
from xinyong.core.errors import DomainError
from xinyong.ledger import service as ledger
from xinyong.querylog import service
from xinyong.subjects import service as subjects_service

querylog_app = typer.Typer(
    help="查询记录 (query log): purge after retention, export CSV, unusual-volume flags, purposes.",
    no_args_is_help=True,
)
keys_app = typer.Typer(
    help="加密密钥 (encryption keys of personal information): rotate-pii.", no_args_is_help=True
)
console = Console()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


def _by() -> str:
    name = _os_user()
    return f"cli:{name}" if name else "cli"


def cli_principal() -> Principal:
    """The operator at the console, as the query log records them (credit office staff)."""
    return Principal(role="credit_office", kind="cli", username=_os_user(), display_name="命令行")


@contextmanager
def _session() -> Iterator[Session]:
    try:
        with get_database().session() as session:
            yield session
    except DomainError as exc:
        raise fail(exc) from None


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(f"日期格式错误: {value} (expected YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.add_typer(querylog_app, name="querylog")
    app.add_typer(keys_app, name="keys")


@querylog_app.command("purge")
def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="only count what would be removed"),
) -> None:
    """Remove entries older than the retention period (querylog.yaml; at least 5 years by
    default) and nothing else; the purge is recorded and written to the ledger."""
    with _session() as session:
        result = service.purge(session, by=_by(), dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"保存期 retention: {result.retention_years} 年; 截止 cutoff: {result.cutoff.isoformat()}; "
        f"{verb}: {result.removed}"
    )


@querylog_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write (UTF-8 with BOM)"),
    subject: str = typer.Option(None, help="subject: USCC, ID number or id"),
    actor: str = typer.Option(None, help="who queried, e.g. user:zhangsan or key:xy_3f2a…"),
    purpose: str = typer.Option(None, help="purpose code or name"),
    date_from: str = typer.Option(None, "--from", help="first day (YYYY-MM-DD, China)"),
    date_to: str = typer.Option(None, "--to", help="last day (YYYY-MM-DD, China)"),
) -> None:
    """Export log entries to CSV (the export itself is logged, purpose audit)."""
    with _session() as session:
        f = service.LogFilter(
            subject_id=service.subject_ref(session, subject) if subject else None,
            actor=actor,
            purpose=purpose,
            date_from=_day(date_from),
            date_to=_day(date_to),
        )
        text, n = service.export_csv(session, f)
        out.write_text(text, encoding="utf-8")
        service.log_audit(
            session, cli_principal(), f, action="query_log.export", result_count=n, channel="cli"
        )
    console.print(f"{n} 条查询记录 entries → {out}")


@querylog_app.command("flags")
def flags(
    day: str = typer.Option(None, "--date", help="day (YYYY-MM-DD, China); default today"),
    all_users: bool = typer.Option(False, "--all", help="every user of that day, not only flagged ones"),
) -> None:
    """Users and keys whose query volume on a day passes the thresholds (querylog.yaml)."""
    with _session() as session:
        found = service.unusual_volume(session, _day(day), only_flagged=not all_users)
    table = Table("查询人 actor", "单位 organisation", "角色 role", "次数", "主体数", "异常")
    for f in found:
        table.add_row(
            f.actor, f.organisation, f.role, str(f.queries), str(f.subjects), ", ".join(f.reasons) or "-"
        )
    console.print(table)


@querylog_app.command("purposes")
def purposes() -> None:
    """The purposes in force and the roles that may use each (purposes.yaml)."""
    table = Table("代码 code", "用途", "角色 roles")
    for p in service.list_purposes():
        table.add_row(p.code, p.name_zh, ", ".join(p.roles))
    console.print(table)


@keys_app.command("rotate-pii")
def rotate_pii(batch: int = typer.Option(500, min=1, help="rows per transaction")) -> None:
    """Re-encrypt stored ID numbers with the current key version (XINYONG_PII_KEY_VERSION).
    Safe to interrupt and run again; old key versions must stay configured until it finishes."""
    total = 0
    while True:
        with _session() as session:
            n = subjects_service.reencrypt_id_numbers(session, batch=batch)
            if n:
                ledger.append(
                    session,
                    "pii.reencrypt",
                    f"pii_key:v{current_key_version()}",
                    {"table": "subjects", "column": "id_number_enc", "rows": n, "by": _by()},
                )
        total += n
        if n < batch:
            break
    console.print(f"已用第 {current_key_version()} 版密钥重新加密 re-encrypted: {total}")
