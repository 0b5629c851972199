"""CLI of objections: ``xinyong objections list|show|file|step`` (run as the credit office's
window from the server's console)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from xinyong.casework.cli import print_case, print_case_list, read_attachments
from xinyong.core.cli_common import echo_json, err_console, office_actor, parse_day, run_step

if TYPE_CHECKING:
    from xinyong.objections.schemas import ObjectionView

# Commands import the service inside the function: `xinyong --help` loads only what it uses.

objections_app = typer.Typer(
    short_help="信用信息异议：提出、比对、核查、决定、撤回。",
    help="信用信息异议 (objections)：提出、比对、核查、决定、撤回。",
    no_args_is_help=True,
)


def _print(view: ObjectionView) -> None:
    print_case(
        f"异议 #{view.id} · {view.subject_name}",
        view,
        [
            ("信用记录", f"#{view.record.id} {view.record.item_name_zh} {view.record.document_number}"),
            ("信息提供单位", view.provider_name),
            ("异议事由", view.ground_zh),
            ("异议理由", view.statement),
            ("受理", f"{view.received_on}（{view.channel}，{view.applicant_name}）"),
            ("期限方案", f"{view.schedule_zh}（{view.schedule_source}）"),
        ],
    )


def register(app: typer.Typer) -> None:
    app.add_typer(objections_app, name="objections")


@objections_app.command("list")
def list_cmd(
    status: str = typer.Option("", "--status", help="状态；open = 办理中"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
) -> None:
    """异议申请列表。"""
    from xinyong.objections import service

    page = run_step(
        lambda s: service.list_objections(s, actor=office_actor(), status=status or None, per_page=200)
    )
    if as_json:
        echo_json(page)
        return
    print_case_list(
        f"异议申请（共 {page.total} 件）",
        ("记录", "事由", "状态", "受理日期"),
        page.items,
        lambda v: (v.record.document_number, v.ground_zh, v.status_zh, v.received_on),
    )


@objections_app.command("show")
def show_cmd(
    objection_id: int = typer.Argument(..., min=1, help="异议编号"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
) -> None:
    """一件异议：状态、期限、办理过程、决定书。"""
    from xinyong.objections import service

    view = run_step(lambda s: service.get_objection(s, objection_id, actor=office_actor()))
    if as_json:
        echo_json(view)
    else:
        _print(view)


@objections_app.command("file", short_help="窗口代为提出异议，输出该异议的 JSON。")
def file_cmd(
    record: int = typer.Option(..., "--record", min=1, help="信用记录编号"),
    ground: str = typer.Option(
        ...,
        "--ground",
        help="异议理由：wrong_content 内容有误 | wrong_subject 主体有误 | beyond_period 超期公示 | listing_conditions 不符合列入条件 | other 其他",
    ),
    statement: str = typer.Option(..., "--statement", help="异议理由"),
    received_on: str = typer.Option("", "--received-on", help="窗口收件日期 YYYY-MM-DD（默认今天）"),
    applicant: str = typer.Option("", "--applicant", help="申请人名称（默认信息主体名称）"),
    schedule: str = typer.Option("", "--schedule", help="期限方案：taizhou（默认）| shenzhen"),
    attach: list[Path] = typer.Option([], "--attach", help="证明材料（PDF/JPG/PNG），可多次"),
) -> None:
    """窗口代为提出异议；输出该异议的 JSON（含 status、lookup_code、deadlines）。"""
    from xinyong.objections import service

    view = run_step(
        lambda s: service.file_objection(
            s,
            record_id=record,
            ground=ground,
            statement=statement,
            actor=office_actor(),
            received_on=parse_day(received_on, "--received-on"),
            applicant_name=applicant or None,
            schedule=schedule or None,
            attachments=read_attachments(attach),
        )
    )
    echo_json(view)


@objections_app.command("step")
def step_cmd(
    objection_id: int = typer.Argument(..., min=1, help="异议编号"),
    action: str = typer.Option(
        ...,
        "--action",
        help="步骤：compare 比对 | reply 提供单位答复 | extend 延期 | decide 决定 | withdraw 撤回",
    ),
    result: str = typer.Option(
        "",
        "--result",
        help="结果：比对 differs 不一致 / matches 一致；答复 holds 成立 / not_holds 不成立 / unverifiable 无法核实",
    ),
    outcome: str = typer.Option(
        "", "--outcome", help="决定：corrected 更正 | upheld 维持 | suspended 暂停公示"
    ),
    text: str = typer.Option("", "--text", help="说明"),
    correct: list[str] = typer.Option([], "--set", help="更正字段 FIELD=VALUE，可多次"),
    on: str = typer.Option("", "--on", help="办理日期 YYYY-MM-DD（默认今天）"),
    as_json: bool = typer.Option(False, "--json", help="JSON 输出"),
) -> None:
    """办理一个环节。"""
    from xinyong.objections import service

    corrections: dict[str, Any] = {}
    for pair in correct:
        key, sep, value = pair.partition("=")
        if not sep:
            err_console.print(f"[red]--set 应为 字段=值[/red]：{pair}")
            raise typer.Exit(2)
        corrections[key.strip()] = value
    view = run_step(
        lambda s: service.take_step(
            s,
            objection_id,
            action=action,
            actor=office_actor(),
            result=result or None,
            outcome=outcome or None,
            text=text,
            corrections=corrections,
            on=parse_day(on),
        )
    )
    if as_json:
        echo_json(view)
    else:
        _print(view)
