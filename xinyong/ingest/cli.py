"""CLI of the ingest domain: ``xinyong ingest FILE``, ``xinyong provider ...``, ``xinyong quarantine ...``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from xinyong.accounts import service as accounts_service
from xinyong.core.cli_common import cli_session, cli_table, domain_errors, print_rows
from xinyong.core.db import Database, get_database
from xinyong.core.errors import Forbidden
from xinyong.ingest import service

console = Console()
err_console = Console(stderr=True)

provider_app = typer.Typer(
    short_help="信息提供单位：登记、密钥、可报送目录项、报送指标。",
    help="信息提供单位（数源单位）：登记、密钥、可报送目录项、报送指标（provider）。",
    no_args_is_help=True,
)
quarantine_app = typer.Typer(
    help="隔离区：校验未通过的数据行，留待更正（quarantine）。", no_args_is_help=True
)

# A quarantined row's status as the CLI names it (its --status help and the list's column).
_QUARANTINE_STATUS_ZH = {
    "open": "待处理",
    "resolved": "已更正",
    "superseded": "已被替代",
    "discarded": "已放弃",
    "all": "全部",
}

# How many row problems the CLI prints before pointing to the full list.
_SHOWN_PROBLEMS = 20


def ingest(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="数据文件：CSV / XLSX / JSONL / JSON"
    ),
    provider: str = typer.Option(..., "--provider", "-p", help="信息提供单位代码（provider code）"),
    item: str = typer.Option(
        ..., "--item", "-i", help="目录项代码（catalog item），如 administrative_penalty"
    ),
) -> None:
    """以信息提供单位身份报送一个数据文件（ingest）：打印汇总及出错行的位置。

    文件已处理（即使部分行进入隔离区）时退出码为 0，整个文件被拒收时为 2。"""
    db = get_database()
    _recover(db)  # a submission an earlier run left half-applied is finished first
    with (
        domain_errors(),  # outermost: the progress bar is gone before the error is printed
        Progress(
            SpinnerColumn(),
            TextColumn("[bold]归集[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar,
        db.session() as session,
        file.open("rb") as fh,
    ):
        task = bar.add_task(file.name, total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=max(total, done) if total else None)

        result = service.submit_file(session, provider, item, fh, file.name, progress=progress)
    _print_result(result)


def _print_result(result: service.SubmissionResult) -> None:
    print_rows(
        f"提交 {result.id}",
        [
            ("信息提供单位", result.provider_code),
            ("目录项", result.item_code),
            ("格式/编码", f"{result.file_format or '-'} / {result.encoding or '-'}"),
            ("总行数", result.rows_total),
            ("新增", result.rows_created),
            ("更正", result.rows_corrected),
            ("撤销", result.rows_withdrawn),
            ("未变化", result.rows_unchanged),
            ("隔离", result.rows_rejected),
            ("迟报", result.rows_late),
        ],
    )
    for w in result.warnings:
        console.print(f"[yellow]警告[/yellow] {w.get('message_zh')}")
    rejected = [r for r in result.problems if r.outcome == "rejected"]
    if rejected:
        errors = cli_table("行", "字段", "值", "规则", "说明", title="被拒绝的行（已进入隔离区）")
        for r in rejected[:_SHOWN_PROBLEMS]:
            for e in r.errors:
                errors.add_row(
                    str(r.row),
                    str(e.get("header") or e.get("field") or ""),
                    str(e.get("value") or ""),
                    str(e.get("rule")),
                    str(e.get("message_zh")),
                )
        console.print(errors)
    if result.rows_rejected:
        console.print(
            f"全部 {result.rows_rejected} 条被拒绝的行：[bold]xinyong quarantine list --submission {result.id}[/bold]"
            f"  或 GET /api/v1/submissions/{result.id}?outcome=rejected"
        )


@provider_app.command("add")
def provider_add(
    code: str = typer.Argument(..., help="信息提供单位代码，如 tz_scjgj"),
    name: str = typer.Argument(..., help="单位名称，如 台州市市场监督管理局"),
    item: list[str] = typer.Option([], "--item", "-i", help="可报送的目录项代码（可重复）"),
    uscc: str | None = typer.Option(None, "--uscc", help="该单位的统一社会信用代码"),
) -> None:
    """登记信息提供单位并打印其 API 密钥（只显示一次）。"""
    with cli_session() as session:
        info, key = service.create_provider(session, code, name, uscc, item)
    console.print(f"[green]已登记[/green] {info.code} {info.name}  目录项：{', '.join(info.items) or '-'}")
    console.print("API 密钥（仅显示一次，请妥善保存）：")
    print(key)


@provider_app.command("list")
def provider_list() -> None:
    """列出信息提供单位及各自可报送的目录项。"""
    with cli_session() as session:
        providers = service.list_providers(session)
    t = cli_table(
        "代码",
        "名称",
        "统一社会信用代码",
        "目录项",
        "状态",
        codes=["代码", "统一社会信用代码"],
    )
    for p in providers:
        t.add_row(p.code, p.name, p.uscc or "", ", ".join(p.items), "启用" if p.active else "停用")
    console.print(t)


@provider_app.command("rotate-key")
def provider_rotate_key(code: str = typer.Argument(..., help="信息提供单位代码")) -> None:
    """签发新的 API 密钥，旧密钥立即失效。"""
    with cli_session() as session:
        _, key = service.rotate_key(session, code)
    console.print("新的 API 密钥（仅显示一次）：")
    print(key)


@provider_app.command("items")
def provider_items(
    code: str = typer.Argument(..., help="信息提供单位代码"),
    item: list[str] = typer.Option(..., "--item", "-i", help="完整的可报送目录项清单（可重复）"),
) -> None:
    """替换信息提供单位可报送的目录项。"""
    with cli_session() as session:
        info = service.set_items(session, code, item)
    console.print(f"{info.code}：{', '.join(info.items)}")


@provider_app.command("metrics", short_help="报送指标：接收与拒收行数、迟报、差错率、延迟。")
def provider_metrics(
    code: str = typer.Argument(..., help="信息提供单位代码"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """报送指标：报送次数、按规则统计的接收/拒收行数、迟报行数、错误率、延迟中位数。"""
    with cli_session() as session:
        m = service.provider_metrics(session, code)
    if as_json:
        print(json.dumps(m.__dict__, ensure_ascii=False))
        return
    rows: list[tuple[str, object]] = [
        ("提交次数", m.submissions),
        ("被整体拒绝的提交", m.submissions_failed),
        ("报送行数", m.rows_submitted),
        ("接收行数", m.rows_accepted),
        ("拒绝行数", m.rows_rejected),
        ("迟报行数", m.rows_late),
        ("差错率", f"{m.error_rate:.2%}"),
        ("延迟中位数（工作日）", "-" if m.median_delay_working_days is None else m.median_delay_working_days),
    ]
    rows += [(f"  拒绝：{rule}", n) for rule, n in m.rejected_by_rule.items()]
    print_rows(f"{m.provider_name}（{m.provider_code}）报送统计", rows)


@provider_app.command("approval")
def provider_approval(
    code: str = typer.Argument(..., help="信息提供单位编码（provider code）"),
    on: bool = typer.Option(..., "--on/--off", help="公开前须经本单位审核（--on 开启，--off 关闭）"),
) -> None:
    """设置本单位报送的记录是否须经本单位审核后才公示（待审核）。"""
    with cli_session() as session:
        info = service.set_requires_approval(session, code, on, by="cli")
    state = "需经本单位审核后公示" if info.requires_approval else "报送后直接生效"
    console.print(f"{info.code} {info.name}：{state}")


@provider_app.command("pending")
def provider_pending(code: str = typer.Argument(..., help="信息提供单位编码（provider code）")) -> None:
    """列出本单位有记录待审核的报送批次（待审核）。"""
    with cli_session() as session:
        pending = service.pending_submissions(session, code)
    if not pending:
        console.print("没有待审核的报送批次")
        return
    t = cli_table("报送批次", "目录项", "文件", "接收时间", "总行数", "待审核记录")
    for p in pending:
        t.add_row(p.id, p.item_code, p.filename or "", str(p.received_at), str(p.rows_total), str(p.pending))
    console.print(t)


@provider_app.command("approve", short_help="审核通过一个报送批次，其记录生效。")
def provider_approve(
    submission_id: str = typer.Argument(..., help="报送批次编号（submission id）"),
    officer: str = typer.Option(..., "--officer", help="审核人（本单位工作人员的用户名）"),
) -> None:
    """以本单位工作人员身份审核通过一个报送批次（approve）：其记录生效。"""
    with cli_session() as session:
        user = accounts_service.get_user(session, officer)
        if not user.active or user.provider_code is None:
            raise Forbidden(
                "The officer must be an active account of a provider department",
                "审核人须为信息提供单位的有效账户",
                code="ingest.approval_needs_officer",
                field="officer",
                value=officer,
            )
        result = service.approve_submission(
            session, submission_id, provider_code=user.provider_code, officer=user.username
        )
    console.print(
        f"[green]已审核[/green] {result.submission_id}：{result.approved} 条记录生效（{result.subjects} 个主体）"
    )


@quarantine_app.command("list")
def quarantine_list(
    provider: str | None = typer.Option(None, "--provider", "-p", help="只看该信息提供单位"),
    item: str | None = typer.Option(None, "--item", "-i", help="只看该目录项"),
    status: str = typer.Option(
        "open",
        help="状态：" + "| ".join(f"{code}（{name}）" for code, name in _QUARANTINE_STATUS_ZH.items()),
    ),
    submission: str | None = typer.Option(None, "--submission", "-s", help="只看该次报送（报送编号）"),
    page: int = typer.Option(1, min=1, help="页码"),
    per_page: int = typer.Option(50, min=1, max=500, help="每页行数"),
) -> None:
    """隔离区中的数据行及原因。"""
    with cli_session() as session:
        result = service.list_quarantine(
            session,
            provider=provider,
            item_code=item,
            status=None if status == "all" else status,
            submission_id=submission,
            page=page,
            per_page=per_page,
        )
    t = cli_table(
        "#",
        "单位",
        "目录项",
        "行",
        "状态",
        "原因",
        codes=["单位"],
        title=f"隔离区（共 {result.total} 条）",
    )
    for q in result.items:
        reasons = "; ".join(f"{e.get('rule')}: {e.get('message_zh')}" for e in q.errors)
        t.add_row(
            str(q.id),
            q.provider_code,
            q.item_code,
            str(q.row_number),
            _QUARANTINE_STATUS_ZH.get(q.status, q.status),
            reasons,
        )
    console.print(t)


@quarantine_app.command("show")
def quarantine_show(quarantine_id: int = typer.Argument(..., help="隔离行编号")) -> None:
    """按原样显示一条隔离行及其原因（JSON）。"""
    with cli_session() as session:
        q = service.get_quarantine(session, quarantine_id)
    print(json.dumps(q.__dict__, ensure_ascii=False, default=str, indent=2))


@quarantine_app.command("discard")
def quarantine_discard(
    quarantine_id: int = typer.Argument(..., help="隔离行编号"),
    note: str = typer.Option(..., "--note", help="放弃原因（会保留）"),
) -> None:
    """关闭一条隔离行且不入库；说明会保留。"""
    with cli_session() as session:
        q = service.discard(session, quarantine_id, note)
    console.print(f"隔离记录 {q.id} 已作废：{q.note}")


def _recover(db: Database) -> int:
    with db.session() as session:
        done = service.recover(session)
    for result in done:
        err_console.print(
            f"已完成中断的提交 {result.id}（{result.item_code}）：共 {result.rows_total} 行，"
            f"新增 {result.rows_created}，更正 {result.rows_corrected}，未变 {result.rows_unchanged}，"
            f"隔离 {result.rows_rejected}"
        )
    return len(done)


def ingest_recover() -> None:
    """完成中断的提交：按暂存的输入，把进程崩溃时只处理了一部分的提交（状态“处理中”）处理完。"""
    db = get_database()
    n = _recover(db)
    with db.session() as session:
        left = service.applying(session)
    if not n and not left:
        console.print("没有中断的提交")
    elif left:
        console.print(f"仍在处理中的提交（其他进程正在处理）：{'、'.join(left)}")


def register(app: typer.Typer) -> None:
    """Attach the ingest commands to the main CLI."""
    app.command("ingest", short_help="以信息提供单位身份报送一个数据文件。")(ingest)
    app.command("ingest-recover", short_help="完成中断（处理中）的提交。")(ingest_recover)
    app.add_typer(provider_app, name="provider")
    app.add_typer(quarantine_app, name="quarantine")
