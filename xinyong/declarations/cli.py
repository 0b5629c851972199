"""CLI of the declarations domain: ``xinyong declarations list|show|file|step`` (run from the
server's console as the credit office; ``file`` declares on a subject's behalf, e.g. at a service
window, and prints the declaration as JSON)."""

from __future__ import annotations

from pathlib import Path

import typer

from xinyong.casework.cli import find_subject_id, print_case_list, read_attachments
from xinyong.core.cli_common import echo_json, office_actor, parse_day, run_step

# Commands import their modules inside the function: `xinyong --help` loads only what it uses.

declarations_app = typer.Typer(
    short_help="自主申报：申报、核实、不予核实。",
    help="自主申报：申报、核实、不予核实 (declarations).",
    no_args_is_help=True,
)


@declarations_app.command("list")
def list_cmd(
    status: str = typer.Option(
        None, "--status", help="状态：filed 已申报 | verified 经核实 | rejected 未通过"
    ),
    subject: str = typer.Option(None, "--subject", help="主体代码"),
) -> None:
    """自主申报一览。"""
    from xinyong.declarations import service

    page = run_step(
        lambda s: service.list_declarations(
            s, status=status, subject_id=find_subject_id(s, subject) if subject else None, per_page=200
        ),
        service.settle,
    )
    print_case_list(
        f"自主申报（共 {page.total} 项）",
        ("类型", "申报名称", "核实部门", "申报日期", "状态"),
        page.items,
        lambda v: (v.declaration_type_zh, v.title, v.department_name, v.filed_on, v.status_zh),
    )


@declarations_app.command("show")
def show_cmd(declaration_id: int = typer.Argument(..., min=1, help="申报编号")) -> None:
    """一项申报（JSON，含期限、办理过程、告知书）。"""
    from xinyong.declarations import service

    echo_json(run_step(lambda s: service.get_declaration(s, declaration_id), service.settle))


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

    echo_json(
        run_step(
            lambda s: service.file_declaration(
                s,
                actor=office_actor(),
                declaration_type=declaration_type,
                title=title,
                content=content,
                valid_until=parse_day(valid_until, "--valid-until"),
                department_code=department,
                subject_id=find_subject_id(s, subject),
                attachments=read_attachments(attach),
                on=parse_day(on),
            ),
            service.settle,
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

    run_step(
        lambda s: service.take_step(
            s, declaration_id, actor=office_actor(), action=action, text=text, on=parse_day(on)
        ),
        service.settle,
    )
    echo_json(run_step(lambda s: service.get_declaration(s, declaration_id), service.settle))


def register(app: typer.Typer) -> None:
    """Attach ``xinyong declarations ...`` to the main CLI."""
    app.add_typer(declarations_app, name="declarations")
