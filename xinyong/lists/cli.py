"""CLI of the lists domain: ``xinyong lists ...`` — list types, the procedure steps (run as the
credit office from the server's console), the overdue queue and the daily tick."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from sqlalchemy.orm import Session

from xinyong.core.cli_common import (
    console,
    err_console,
    office_actor,
    parse_day,
    print_rows,
    print_table,
    run_step,
)
from xinyong.core.db import get_database

if TYPE_CHECKING:
    from xinyong.lists.schemas import ProcedureView

# Commands import their modules inside the function: `xinyong --help` and each command load only
# what they use (start-up time of the CLI). Not to dodge a cycle.

lists_app = typer.Typer(
    short_help="红名单、重点关注名单、严重失信主体名单及其认定程序。",
    help="红名单、重点关注名单、严重失信主体名单及其认定程序（lists）。",
    no_args_is_help=True,
)


def _print_procedure(view: ProcedureView) -> None:
    print_rows(
        f"#{view.id} {view.list_name_zh} · {view.subject.name}",
        [
            ("状态", view.status_zh),
            ("决定部门", view.department_name),
            ("理由", view.reasons),
            ("依据", view.legal_basis),
            ("提议", f"{view.proposed_on}（{view.proposed_by}）"),
            ("告知", f"{view.noticed_on or '—'}（期限 {view.notice_due or '—'}）"),
            ("陈述申辩", f"{view.statement_on or '—'}（期限 {view.statement_due or '—'}）"),
            (
                "决定",
                f"{view.decided_on or '—'} {view.decision_document or ''}（期限 {view.decision_due or '—'}）",
            ),
            ("公布", f"{view.published_on or '—'}（期限 {view.publication_due or '—'}）"),
            ("列入期间", f"{view.starts_on or '—'} 至 {view.ends_on or '—'}"),
            (
                "限期整改",
                f"{view.rectification_due or '—'}；已整改 {view.rectified_on or '—'}；约谈 {view.interview_count} 次",
            ),
            ("移出", f"{view.exited_on or '—'} {view.exit_reason_zh or ''}"),
            (
                "下一环节",
                f"{view.next_step_zh or '—'} {view.next_due or ''}{' [red]已逾期[/red]' if view.overdue else ''}",
            ),
        ],
    )


def _run(step: Callable[[Session], ProcedureView]) -> ProcedureView:
    """Run a step of a procedure, then settle (the memberships follow the step)."""
    from xinyong.lists import service

    return run_step(step, service.settle)


def _act(procedure_id: int, action: Callable[..., ProcedureView], on: str | None, **fields: Any) -> None:
    """One step of the procedure, taken as the credit office, and the procedure after it."""
    _print_procedure(
        _run(lambda s: action(s, procedure_id, actor=office_actor(), on=parse_day(on), **fields))
    )


@lists_app.command("types")
def types() -> None:
    """规则集中的名单类型及其法律依据与期限。"""
    from xinyong.lists import service

    kinds = {"red": "红名单", "watch": "重点关注", "black": "黑名单"}
    print_table(
        "名单类型",
        ("代码", "名称", "类别", "公布", "法律依据", "决定部门"),
        [
            (
                lt.code,
                lt.name_zh,
                kinds[lt.kind],
                "是" if lt.procedure.publication else "否",
                lt.basis_text,
                lt.deciding_department.name_zh,
            )
            for lt in service.list_types()
        ],
    )


@lists_app.command("validate")
def validate(
    directory: Path = typer.Argument(None, help="规则集目录（默认：设置中配置的目录）"),
) -> None:
    """检查规则集中的名单类型文件（有误时指出文件与问题，退出码为 1）。"""
    from xinyong.catalog.ruleset import RulesetError
    from xinyong.core.settings import get_settings
    from xinyong.lists.rules import load_list_rules

    target = directory or get_settings().ruleset_dir
    try:
        rules = load_list_rules(Path(target))
    except RulesetError as exc:
        err_console.print(f"[red]名单类型有误[/red] {exc.message_zh}")
        for err in exc.details.get("errors", []):
            err_console.print(f"  {err['loc']}: {err['message']}")
        raise typer.Exit(1) from exc
    console.print(f"[green]名单类型有效[/green] {len(rules.types)} 个 ({target})")


@lists_app.command("queue")
def queue_cmd(
    overdue: bool = typer.Option(False, "--overdue", help="只看已逾期的步骤"),
    today: str = typer.Option(None, "--today", help="日期 YYYY-MM-DD（默认：中国时区的今天）"),
) -> None:
    """待办的认定程序，逾期的排在前面。"""
    from xinyong.lists import service

    with get_database().session() as session:
        items = service.queue(
            session, actor=service.SYSTEM, today=parse_day(today, "--today"), overdue_only=overdue
        )
    rows = []
    for q in items:
        late = "—"
        if q.overdue:
            late = f"[red]逾期 {q.overdue_working_days if q.overdue_working_days is not None else '?'} 个工作日[/red]"
        p = q.procedure
        rows.append(
            (p.id, p.list_name_zh, p.subject.name, p.department_name, q.step_zh, q.due or "待定", late)
        )
    print_table(
        f"名单认定待办 {len(items)} 件",
        ("程序", "名单", "主体", "部门", "环节", "期限", "逾期"),
        rows,
    )


@lists_app.command("show")
def show(procedure_id: int = typer.Argument(..., help="认定程序编号")) -> None:
    """查看一个认定程序及其各步骤。"""
    from xinyong.lists import service

    view = _run(lambda s: service.get_procedure(s, procedure_id, actor=service.SYSTEM))
    _print_procedure(view)
    for step in view.steps:
        console.print(
            f"  {step.seq}. {step.on} {step.action_zh} → {step.to_status} ({step.actor}) {step.text[:80]}"
        )


@lists_app.command("propose")
def propose_cmd(
    list_type: str = typer.Argument(..., help="名单类型代码，如 blacklist（严重失信主体名单）"),
    code: str = typer.Argument(..., help="主体的统一社会信用代码或身份证号码"),
    reasons: str = typer.Option(..., "--reasons", help="理由"),
    department: str = typer.Option(None, "--department", help="认定部门（信息提供单位代码）"),
    record: int = typer.Option(None, "--record", help="提议所依据的信用记录编号"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """以信用办身份提议将主体列入名单。"""
    from xinyong.lists import service
    from xinyong.subjects import service as subjects_service

    def step(s: Session) -> Any:
        subject = subjects_service.get_by_code(s, code)
        return service.propose(
            s,
            list_type=list_type,
            subject_id=subject.id,
            actor=office_actor(),
            reasons=reasons,
            department_code=department,
            basis_record_id=record,
            on=parse_day(on),
        )

    _print_procedure(_run(step))


@lists_app.command("notice")
def notice_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    document: str = typer.Option(None, "--document", help="文书编号"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """告知：通知主体（告知书文本按名单类型的模板生成）。"""
    from xinyong.lists import service

    _act(procedure_id, service.notice, on, document_number=document)


@lists_app.command("statement")
def statement_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    text: str = typer.Option(..., "--text", help="内容说明"),
    hearing: bool = typer.Option(False, "--hearing", help="要求听证"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """陈述申辩：登记主体的陈述申辩（纸质收到）。"""
    from xinyong.lists import service

    _act(procedure_id, service.file_statement, on, text=text, hearing_requested=hearing)


@lists_app.command("decide")
def decide_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    outcome: str = typer.Option("list", "--outcome", help="决定：list（列入）| dismiss（不予列入）"),
    reasons: str = typer.Option(..., "--reasons", help="理由"),
    document: str = typer.Option(None, "--document", help="文书编号"),
    signed_by: str = typer.Option(None, "--signed-by", help="签发人"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """认定决定：列入或不予列入。"""
    from xinyong.lists import service

    _act(
        procedure_id,
        service.decide,
        on,
        outcome=outcome,
        reasons=reasons,
        document_number=document,
        signed_by=signed_by,
    )


@lists_app.command("publish")
def publish_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """公布列入名单的决定。"""
    from xinyong.lists import service

    _act(procedure_id, service.publish, on)


@lists_app.command("interview")
def interview_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    kind: str = typer.Option("prompt", "--kind", help="类型：prompt（提醒约谈）| warning（警示约谈）"),
    summary: str = typer.Option(..., "--summary", help="约谈纪要"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """登记约谈（新的整改期限自约谈起算）。"""
    from xinyong.lists import service

    _act(procedure_id, service.record_interview, on, kind=kind, summary=summary)


@lists_app.command("rectify")
def rectify_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    text: str = typer.Option(..., "--text", help="内容说明"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """登记主体已完成整改。"""
    from xinyong.lists import service

    _act(procedure_id, service.record_rectification, on, text=text)


@lists_app.command("exit")
def exit_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    reason: str = typer.Option(
        ...,
        "--reason",
        help="移出原因：repaired（信用修复）| court_revoked（被法院撤销）| reconsideration_revoked（经复议撤销）| …",
    ),
    text: str = typer.Option(..., "--text", help="内容说明"),
    document: str = typer.Option(None, "--document", help="文书编号"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """将主体移出名单。"""
    from xinyong.lists import service

    _act(procedure_id, service.exit_list, on, reason=reason, text=text, document_number=document)


@lists_app.command("withdraw")
def withdraw_cmd(
    procedure_id: int = typer.Argument(..., help="认定程序编号"),
    text: str = typer.Option(..., "--text", help="内容说明"),
    on: str = typer.Option(None, "--on", help="办理日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """在作出决定前撤回提议。"""
    from xinyong.lists import service

    _act(procedure_id, service.withdraw, on, text=text)


@lists_app.command("tick", short_help="名单的每日处理：事件、期满移出、升级提议、补算期限。")
def tick_cmd(
    today: str = typer.Option(None, "--today", help="日期 YYYY-MM-DD（默认：中国时区的今天）"),
) -> None:
    """名单的每日处理：处理事件（自动提议、名单成员），结束期满的列入，提议升级，补算期限。"""
    from xinyong.lists.worker import run_once

    result = run_once(get_database(), parse_day(today, "--today"))
    console.print(
        f"事件 events consumed: {result.consumed}; 期满移出 ended: {result.exited}; "
        f"升级提议 escalations: {result.escalated}; 期限补算 deadlines filled: {result.deadlines_refreshed}"
    )


def register(app: typer.Typer) -> None:
    """Attach ``xinyong lists ...`` to the main CLI."""
    app.add_typer(lists_app, name="lists")
