"""CLI of credit repair: ``xinyong repairs list|show|eligibility|file|step|tick`` (run as the
intake window from the server's console)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from xinyong.casework.cli import print_case, print_case_list, read_attachments
from xinyong.core.cli_common import echo_json, office_actor, parse_day, run_step

if TYPE_CHECKING:
    from xinyong.repairs.schemas import RepairView

# Commands import the service inside the function: `xinyong --help` loads only what it uses.

repairs_app = typer.Typer(
    short_help="信用修复：可否申请、申请、受理、决定、撤回（免费）。",
    help="信用修复 (repairs)：可否申请、申请、受理、决定、撤回（免费）。",
    no_args_is_help=True,
)


def _print(view: RepairView) -> None:
    print_case(
        f"信用修复 #{view.id} · {view.subject_name}",
        view,
        [
            ("修复类型", view.kind_zh),
            ("修复对象", view.target_zh),
            ("认定单位", view.department_name),
            ("申请", f"{view.received_on}（{view.applicant_name}）"),
            ("材料", "、".join(view.materials_zh)),
            ("决定", f"{view.decided_on or '—'} {view.decision_number or ''}"),
            ("停止公示", view.applied_on or "—"),
        ],
        letters=False,  # the decision letters are read with --json
    )


def register(app: typer.Typer) -> None:
    app.add_typer(repairs_app, name="repairs")


@repairs_app.command("list")
def list_cmd(
    status: str = typer.Option("", "--status", help="状态；open = 办理中"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
) -> None:
    """信用修复申请列表。"""
    from xinyong.repairs import service

    page = run_step(
        lambda s: service.list_repairs(s, actor=office_actor(), status=status or None, per_page=200)
    )
    if as_json:
        echo_json(page)
        return
    print_case_list(
        f"信用修复申请（共 {page.total} 件）",
        ("类型", "认定单位", "状态", "申请日期"),
        page.items,
        lambda v: (v.kind_zh, v.department_name, v.status_zh, v.received_on),
    )


@repairs_app.command("show")
def show_cmd(
    repair_id: int = typer.Argument(..., min=1, help="修复申请编号"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
) -> None:
    """一件信用修复申请。"""
    from xinyong.repairs import service

    view = run_step(lambda s: service.get_repair(s, repair_id, actor=office_actor()))
    if as_json:
        echo_json(view)
    else:
        _print(view)


@repairs_app.command("eligibility", short_help="可否申请信用修复，最早何时可以申请。")
def eligibility_cmd(
    record: int = typer.Option(0, "--record", min=0, help="信用记录编号"),
    listing: int = typer.Option(0, "--listing", min=0, help="名单认定程序编号"),
) -> None:
    """可否申请信用修复：可申请 / 尚不可申请，因为…，最早可于 … 申请。"""
    from xinyong.repairs import service

    e = run_step(
        lambda s: service.eligibility(
            s, actor=office_actor(), record_id=record or None, list_procedure_id=listing or None
        )
    )
    typer.echo(e.message_zh)
    typer.echo(f"认定单位：{e.department_name}")
    typer.echo("材料：" + "、".join(f"{m.name_zh}{'（必需）' if m.required else ''}" for m in e.materials))


@repairs_app.command("file", short_help="窗口代为申请信用修复，输出该申请的 JSON。")
def file_cmd(
    record: int = typer.Option(0, "--record", min=0, help="信用记录编号"),
    listing: int = typer.Option(0, "--listing", min=0, help="名单认定程序编号"),
    statement: str = typer.Option(..., "--statement", help="纠正失信行为、履行义务的情况"),
    material: list[str] = typer.Option(
        [], "--material", help="已提交的材料代码（performance、rectification…），可多次"
    ),
    commitment: bool = typer.Option(False, "--commitment", help="申请人已签署信用承诺书"),
    received_on: str = typer.Option("", "--received-on", help="窗口收件日期 YYYY-MM-DD（默认今天）"),
    applicant: str = typer.Option("", "--applicant", help="申请人名称"),
    attach: list[Path] = typer.Option([], "--attach", help="申请材料（PDF/JPG/PNG），可多次"),
) -> None:
    """窗口代为申请信用修复；输出该申请的 JSON（含 status、lookup_code、deadlines）。"""
    from xinyong.repairs import service

    view = run_step(
        lambda s: service.apply_for(
            s,
            actor=office_actor(),
            statement=statement,
            commitment=commitment,
            materials=material,
            record_id=record or None,
            list_procedure_id=listing or None,
            received_on=parse_day(received_on, "--received-on"),
            applicant_name=applicant or None,
            attachments=read_attachments(attach),
        )
    )
    echo_json(view)


@repairs_app.command("step")
def step_cmd(
    repair_id: int = typer.Argument(..., min=1, help="修复申请编号"),
    action: str = typer.Option(
        ...,
        "--action",
        help="步骤：accept 受理 | reject 不予受理 | extend 延期 | decide 决定 | withdraw 撤回",
    ),
    outcome: str = typer.Option("", "--outcome", help="决定：granted 准予修复 | refused 不予修复"),
    text: str = typer.Option("", "--text", help="理由或说明"),
    on: str = typer.Option("", "--on", help="办理日期 YYYY-MM-DD（默认今天）"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
) -> None:
    """办理一个环节。"""
    from xinyong.repairs import service

    view = run_step(
        lambda s: service.take_step(
            s,
            repair_id,
            action=action,
            actor=office_actor(),
            outcome=outcome or None,
            text=text,
            on=parse_day(on),
        )
    )
    if as_json:
        echo_json(view)
    else:
        _print(view)
