"""CLI of the commitments domain: ``xinyong commitments list|show|file|step`` (run from the
server's console as the credit office; ``file`` signs on a subject's behalf, e.g. at a service
window, and prints the commitment as JSON)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from xinyong.core.cli_errors import fail
from xinyong.core.db import get_database
from xinyong.core.errors import DomainError

# Commands import their modules inside the function: `xinyong --help` loads only what it uses.

console = Console()
err_console = Console(stderr=True)
commitments_app = typer.Typer(help="信用承诺：签署、补齐材料、核查履约 (commitments).", no_args_is_help=True)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]日期格式错误[/red] --on {value} (expected YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _actor() -> Any:
    from xinyong.commitments.service import Actor

    try:
        who = getpass.getuser()
    except Exception:  # no user name in some containers
        who = "operator"
    return Actor(f"cli:{who}"[:100], "credit_office")


def _run(step: Callable[[Session], Any]) -> Any:
    from xinyong.commitments import service

    with get_database().session() as session:
        try:
            result = step(session)
        except DomainError as exc:
            raise fail(exc, 2) from exc
        service.settle(session)
    return result


def _subject(session: Session, code: str) -> int:
    from xinyong.core.errors import NotFound
    from xinyong.subjects import service as subjects_service

    subject = subjects_service.get_by_code(session, code.strip())
    if subject is None:
        raise NotFound("Subject not found", "未找到该信用主体", code="subject.not_found", value=code)
    return subject.id


def _json(view: Any) -> None:
    typer.echo(json.dumps(view.model_dump(mode="json"), ensure_ascii=False, indent=2))


@commitments_app.command("list")
def list_cmd(
    status: str = typer.Option(
        None,
        "--status",
        help="状态：signed 已签署 | supplied 已补齐材料 | fulfilled 已履约 | breached 未履约",
    ),
    subject: str = typer.Option(None, "--subject", help="主体代码"),
) -> None:
    """信用承诺一览。"""
    from xinyong.commitments import service

    page = _run(
        lambda s: service.list_commitments(
            s, status=status, subject_id=_subject(s, subject) if subject else None, per_page=200
        )
    )
    table = Table(title=f"信用承诺（共 {page.total} 项）")
    for col in ("编号", "主体", "类型", "承诺事项", "受理部门", "签署日期", "状态", "查询码"):
        table.add_column(col)
    for v in page.items:
        table.add_row(
            str(v.id),
            v.subject_name,
            v.commitment_type_zh,
            v.matter,
            v.department_name,
            v.signed_on.isoformat(),
            v.status_zh,
            v.lookup_code or "",
        )
    console.print(table)


@commitments_app.command("show")
def show_cmd(commitment_id: int = typer.Argument(..., min=1, help="承诺编号")) -> None:
    """一项承诺（JSON，含期限、办理过程）。"""
    from xinyong.commitments import service

    _json(_run(lambda s: service.get_commitment(s, commitment_id)))


@commitments_app.command("file")
def file_cmd(
    subject: str = typer.Option(..., "--subject", help="签署承诺的主体代码"),
    commitment_type: str = typer.Option(
        ..., "--type", help="承诺类型：approval_substitute 审批替代型 | accept_with_gaps 容缺受理型 | …"
    ),
    matter: str = typer.Option(..., "--matter", help="承诺事项"),
    department: str = typer.Option(..., "--department", help="受理部门代码"),
    on: str = typer.Option(None, "--on", help="签署日期 YYYY-MM-DD（默认今天）"),
) -> None:
    """代主体签署信用承诺（窗口办理），打印 JSON。"""
    from xinyong.commitments import service

    _json(
        _run(
            lambda s: service.sign(
                s,
                actor=_actor(),
                commitment_type=commitment_type,
                matter=matter,
                department_code=department,
                subject_id=_subject(s, subject),
                on=_day(on),
            )
        )
    )


@commitments_app.command("step")
def step_cmd(
    commitment_id: int = typer.Argument(..., min=1, help="承诺编号"),
    action: str = typer.Option(..., "--action", help="步骤：supply 补齐材料 | verify 核查履约"),
    outcome: str = typer.Option(None, "--outcome", help="核查结果：fulfilled 已履约 | breached 未履约"),
    text: str = typer.Option("", "--text", help="说明或理由"),
    on: str = typer.Option(None, "--on", help="日期 YYYY-MM-DD"),
    attach: list[Path] = typer.Option([], "--attach", help="附件（PDF/JPG/PNG），可多次"),
) -> None:
    """办理一个环节，打印 JSON。"""
    from xinyong.commitments import service

    files: list[tuple[str, bytes | str]] = [(p.name, p.read_bytes()) for p in attach]
    actor = service.SYSTEM if action == "supply" else _actor()
    _run(
        lambda s: service.take_step(
            s,
            commitment_id,
            actor=actor,
            action=action,
            outcome=outcome,
            text=text,
            on=_day(on),
            attachments=files,
        )
    )
    _json(_run(lambda s: service.get_commitment(s, commitment_id)))


def register(app: typer.Typer) -> None:
    """Attach ``xinyong commitments ...`` to the main CLI."""
    app.add_typer(commitments_app, name="commitments")
