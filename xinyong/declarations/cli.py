"""CLI of the declarations domain: ``xinyong declarations list|show|file|step`` (run from the
server's console as the credit office; ``file`` declares on a subject's behalf, e.g. at a service
window, and prints the declaration as JSON)."""

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
declarations_app = typer.Typer(help="自主申报：申报、核实、不予核实 (declarations).", no_args_is_help=True)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]日期格式错误[/red] --on {value} (expected YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _actor() -> Any:
    from xinyong.declarations.service import Actor

    try:
        who = getpass.getuser()
    except Exception:  # no user name in some containers
        who = "operator"
    return Actor(f"cli:{who}"[:100], "credit_office")


def _run(step: Callable[[Session], Any]) -> Any:
    from xinyong.declarations import service

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


@declarations_app.command("list")
def list_cmd(
    status: str = typer.Option(
        None, "--status", help="状态：filed 已申报 | verified 经核实 | rejected 未通过"
    ),
    subject: str = typer.Option(None, "--subject", help="主体代码"),
) -> None:
    """自主申报一览。"""
    from xinyong.declarations import service

    page = _run(
        lambda s: service.list_declarations(
            s, status=status, subject_id=_subject(s, subject) if subject else None, per_page=200
        )
    )
    table = Table(title=f"自主申报（共 {page.total} 项）")
    for col in ("编号", "主体", "类型", "申报名称", "核实部门", "申报日期", "状态", "查询码"):
        table.add_column(col)
    for v in page.items:
        table.add_row(
            str(v.id),
            v.subject_name,
            v.declaration_type_zh,
            v.title,
            v.department_name,
            v.filed_on.isoformat(),
            v.status_zh,
            v.lookup_code or "",
        )
    console.print(table)


@declarations_app.command("show")
def show_cmd(declaration_id: int = typer.Argument(..., min=1, help="申报编号")) -> None:
    """一项申报（JSON，含期限、办理过程、告知书）。"""
    from xinyong.declarations import service

    _json(_run(lambda s: service.get_declaration(s, declaration_id)))


@declarations_app.command("file")
def file_cmd(
    subject: str = typer.Option(..., "--subject", help="申报主体代码"),
    declaration_type: str = typer.Option(
        ..., "--type", help="申报类型：award 荣誉 | qualification 资质 | public_welfare 公益 | …"
    ),
    title: str = typer.Option(..., "--title", help="申报名称"),
    department: str = typer.Option(..., "--department", help="负责核实的部门代码"),
    content: str = typer.Option("", "--content", help="申报内容"),
    valid_until: str = typer.Option(None, "--valid-until", help="有效期至 YYYY-MM-DD"),
    attach: list[Path] = typer.Option(..., "--attach", help="证明材料（PDF/JPG/PNG），可多次"),
    on: str = typer.Option(None, "--on", help="申报日期 YYYY-MM-DD（默认今天）"),
) -> None:
    """代主体提交自主申报（窗口办理），打印 JSON。"""
    from xinyong.declarations import service

    files: list[tuple[str, bytes | str]] = [(p.name, p.read_bytes()) for p in attach]
    _json(
        _run(
            lambda s: service.file_declaration(
                s,
                actor=_actor(),
                declaration_type=declaration_type,
                title=title,
                content=content,
                valid_until=_day(valid_until),
                department_code=department,
                subject_id=_subject(s, subject),
                attachments=files,
                on=_day(on),
            )
        )
    )


@declarations_app.command("step")
def step_cmd(
    declaration_id: int = typer.Argument(..., min=1, help="申报编号"),
    action: str = typer.Option(..., "--action", help="步骤：verify 核实 | reject 不予核实"),
    text: str = typer.Option("", "--text", help="说明；不予核实时必填理由"),
    on: str = typer.Option(None, "--on", help="日期 YYYY-MM-DD"),
) -> None:
    """核实或不予核实，打印 JSON。"""
    from xinyong.declarations import service

    _run(
        lambda s: service.take_step(s, declaration_id, actor=_actor(), action=action, text=text, on=_day(on))
    )
    _json(_run(lambda s: service.get_declaration(s, declaration_id)))


def register(app: typer.Typer) -> None:
    """Attach ``xinyong declarations ...`` to the main CLI."""
    app.add_typer(declarations_app, name="declarations")
