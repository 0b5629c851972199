"""CLI of the commitments domain: ``xinyong commitments list|show|file|step`` (run from the
server's console as the credit office; ``file`` signs on a subject's behalf, e.g. at a service
window, and prints the commitment as JSON)."""

from __future__ import annotations

from pathlib import Path

import typer

from xinyong.casework.cli import find_subject_id, print_case_list, read_attachments
from xinyong.core.cli_common import echo_json, office_actor, parse_day, run_step

# Commands import their modules inside the function: `xinyong --help` loads only what it uses.

commitments_app = typer.Typer(
    short_help="信用承诺：签署、补齐材料、核查履约。",
    help="信用承诺：签署、补齐材料、核查履约 (commitments).",
    no_args_is_help=True,
)


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

    page = run_step(
        lambda s: service.list_commitments(
            s, status=status, subject_id=find_subject_id(s, subject) if subject else None, per_page=200
        ),
        service.settle,
    )
    print_case_list(
        f"信用承诺（共 {page.total} 项）",
        ("类型", "承诺事项", "受理部门", "签署日期", "状态"),
        page.items,
        lambda v: (v.commitment_type_zh, v.matter, v.department_name, v.signed_on, v.status_zh),
    )


@commitments_app.command("show")
def show_cmd(commitment_id: int = typer.Argument(..., min=1, help="承诺编号")) -> None:
    """一项承诺（JSON，含期限、办理过程）。"""
    from xinyong.commitments import service

    echo_json(run_step(lambda s: service.get_commitment(s, commitment_id), service.settle))


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

    echo_json(
        run_step(
            lambda s: service.sign(
                s,
                actor=office_actor(),
                commitment_type=commitment_type,
                matter=matter,
                department_code=department,
                subject_id=find_subject_id(s, subject),
                on=parse_day(on),
            ),
            service.settle,
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

    actor = service.SYSTEM if action == "supply" else office_actor()
    run_step(
        lambda s: service.take_step(
            s,
            commitment_id,
            actor=actor,
            action=action,
            outcome=outcome,
            text=text,
            on=parse_day(on),
            attachments=read_attachments(attach),
        ),
        service.settle,
    )
    echo_json(run_step(lambda s: service.get_commitment(s, commitment_id), service.settle))


def register(app: typer.Typer) -> None:
    """Attach ``xinyong commitments ...`` to the main CLI."""
    app.add_typer(commitments_app, name="commitments")
