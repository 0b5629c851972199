"""CLI of the demo city: ``xinyong demo build``, ``xinyong demo samples``, ``xinyong demo export``."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.accounts.principal import ROLE_NAMES_ZH
from xinyong.core.cli_common import domain_errors
from xinyong.core.db import get_database
from xinyong.core.spreadsheet import cell_text
from xinyong.demo import register as demo_register
from xinyong.demo import samples as samples_mod
from xinyong.demo import service
from xinyong.demo.generator import ITEM_HEADERS, iter_records, load_city
from xinyong.measures.cli import RECEIVER_PORT, RECEIVER_PORT_ENV

demo_app = typer.Typer(help="演示城市（台州市）：生成、导入、样例文件。", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

_STAGES = {"subjects": "登记主体", "records": "各部门报送记录", "finish": "治理检测与公示到期"}


@demo_app.command("build", short_help="生成演示城市：主体、部门、五年信用记录、样例文件。")
def build(
    subjects: int = typer.Option(
        service.DEFAULT_SUBJECTS, "--subjects", "-n", min=service.MIN_SUBJECTS, help="主体数量"
    ),
    seed: int = typer.Option(service.DEFAULT_SEED, "--seed", "-s", help="随机种子：同一种子生成同一座城市"),
    out: Path | None = typer.Option(None, "--out", help="样例文件的输出目录（默认 var/demo/samples）"),
    force: bool = typer.Option(
        False,
        "--force",
        help="即使存储中已有其他主体也生成（不会重复生成演示数据本身）",
    ),
    push_port: int = typer.Option(
        RECEIVER_PORT,
        "--push-port",
        envvar=RECEIVER_PORT_ENV,
        min=1,
        max=65535,
        help=f"演示推送订阅的接收端口（xinyong push receive --port；也可用环境变量 {RECEIVER_PORT_ENV}）",
    ),
) -> None:
    """生成演示城市：主体、约 30 个带 API 密钥的部门、经真实报送服务导入的五年信用记录、
    隔离区、重错码治理案件与样例文件。用同一种子再次生成不会改变任何数据。"""
    out_dir = out or service.samples_dir()
    with (
        domain_errors(),  # outermost: the progress bar is gone before the error is printed
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar,
    ):
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = service.build_demo(
            get_database(), subjects, seed, out_dir, force=force, progress=progress, push_port=push_port
        )
    if summary.already_built:
        console.print(
            f"[green]演示城市（种子 {seed}）已构建，未作改动。[/green] "
            "API 密钥只显示一次；需要时用 [bold]xinyong provider rotate-key 单位编码[/bold] 重新生成。"
        )
    else:
        _print_keys(summary)
        _print_summary(summary)
    _print_accounts(summary)
    _print_tour(summary, out_dir)


def _print_accounts(summary: service.DemoSummary) -> None:
    """The demo's portal accounts (one per role), for http://127.0.0.1:8000/login."""
    if not summary.accounts:
        return
    console.print(
        f"[bold]演示账户（每个角色一个，密码均为 {summary.accounts[0].password}，登录 /login）[/bold]"
    )
    for a in summary.accounts:
        role = ROLE_NAMES_ZH.get(a.role, a.role)
        console.print(f"  {a.username:<15} {role}：{a.organisation or a.display_name}", soft_wrap=True)


def _print_keys(summary: service.DemoSummary) -> None:
    # Plain lines, not a table: a key must stay whole to be copied.
    console.print("[bold]信息提供单位与 API 密钥（仅显示一次，请妥善保存）[/bold]")
    for p in summary.providers:
        console.print(
            f"  {p.code:<11} {p.api_key or '（已存在，未重新生成）'}  {p.name}：{'、'.join(p.items)}",
            soft_wrap=True,
        )
    if summary.staff_key:
        code, name = service.STAFF_DEPARTMENT
        console.print(f"  {code:<11} {summary.staff_key}  {name}：重错码治理", soft_wrap=True)
    if summary.measures_key:
        console.print(
            f"  TZ-CZJ      {summary.measures_key}  台州市财政局：联合奖惩核查、推送订阅、反馈",
            soft_wrap=True,
        )


def _print_summary(s: service.DemoSummary) -> None:
    table = Table(
        title=f"演示城市：{load_city().name}（{s.subjects} 个主体，种子 {s.seed}，用时 {s.seconds:.1f} 秒）"
    )
    table.add_column("项目")
    table.add_column("数量", justify="right")
    for label, value in (
        ("报送批次", s.submissions),
        ("报送行数", s.rows),
        ("新增记录", s.rows_created),
        ("更正", s.rows_corrected),
        ("撤销", s.rows_withdrawn),
        ("进入隔离区的行", s.rows_rejected),
        ("超时报送（>7 个工作日）", s.rows_late),
        ("治理检测新开案件", s.governance_cases_opened),
        ("公示期届满的记录", s.publicity_ended),
    ):
        table.add_row(label, str(value))
    console.print(table)


def _shown(path: Path) -> Path:
    """A path relative to the working directory when it is below it (shorter to copy)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _print_tour(s: service.DemoSummary, out_dir: Path) -> None:
    out_dir = _shown(out_dir)
    base = "http://127.0.0.1:8000"
    keys = {p.code: p.api_key for p in s.providers if p.api_key}
    bad_key = keys.get(samples_mod.BAD_ROWS_PROVIDER, "<椒江分局的 API 密钥>")
    gbk = next(x for x in samples_mod.SAMPLES if x.filename == samples_mod.GBK_PENALTIES)
    penalised = s.examples.get("penalised", "")
    lines = [
        "[bold]五分钟导览[/bold]（先运行 [bold]xinyong serve[/bold]）",
        f"  API 文档（离线）     {base}/docs",
        f"  门户首页             {base}/",
        f"  搜索主体             {base}/api/v1/subjects?q=台州",
        f"  主体及其公开记录     {base}/api/v1/subjects/{penalised}  ·  {base}/api/v1/subjects/{penalised}/records",
        f"  重错码治理（信用办） curl -H 'X-Api-Key: {s.staff_key or '<信用办的 API 密钥>'}' {base}/api/v1/governance/cases",
        f"  报送模板下载         {base}/api/v1/catalog/items/administrative_penalty/template.xlsx",
        f"  隔离区（需 API 密钥） curl -H 'X-Api-Key: {bad_key}' {base}/api/v1/quarantine",
    ]
    if s.bad_rows_submission_id:
        lines.append(
            f"  错误行报送结果       curl -H 'X-Api-Key: {bad_key}' {base}/api/v1/submissions/{s.bad_rows_submission_id}"
        )
    lines += [
        "",
        "[bold]样例文件[/bold]",
        *(f"  {out_dir / x.filename}  {x.description_zh}（{x.provider}）" for x in samples_mod.SAMPLES),
        f"  {out_dir / demo_register.ENTERPRISE_FILE}  登记注册基础信息（演示城市的主体由此经归集导入）"
        f"（{demo_register.REGISTER_PROVIDER}）",
        f"  {out_dir / demo_register.RELATION_FILE}  登记关联关系：法定代表人、股东、分支机构、曾用名"
        f"（{demo_register.REGISTER_PROVIDER}）",
        "",
        "[bold]命令行[/bold]",
        f"  xinyong ingest {out_dir / gbk.filename} --provider {gbk.provider} --item {gbk.item}",
        f"  xinyong quarantine list --provider {samples_mod.BAD_ROWS_PROVIDER}",
        "  xinyong governance list",
        f"  xinyong id check {s.examples.get('mismatch', '')} {s.examples.get('person', '')}",
        "  xinyong calendar add 2026-09-30 7",
        "  xinyong catalog list",
    ]
    console.print("\n".join(lines), soft_wrap=True)


@demo_app.command("samples")
def samples(
    subjects: int = typer.Option(
        service.DEFAULT_SUBJECTS, "--subjects", "-n", min=service.MIN_SUBJECTS, help="主体数量"
    ),
    seed: int = typer.Option(service.DEFAULT_SEED, "--seed", "-s", help="随机种子"),
    out: Path | None = typer.Option(None, "--out", help="输出目录（默认 var/demo/samples）"),
) -> None:
    """只生成样例报送文件（不需要存储）。"""
    for path in samples_mod.write_samples(seed, subjects, out or service.samples_dir()):
        console.print(str(path))


@demo_app.command("export", short_help="流式导出演示城市某目录项的记录（JSONL 或 CSV）。")
def export(
    item: str = typer.Option(..., "--item", "-i", help="目录项代码，如 administrative_penalty"),
    subjects: int = typer.Option(service.DEFAULT_SUBJECTS, "--subjects", "-n", min=1, help="主体数量"),
    seed: int = typer.Option(service.DEFAULT_SEED, "--seed", "-s", help="随机种子"),
    limit: int | None = typer.Option(None, "--limit", help="输出到此行数为止"),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="格式：jsonl 或 csv"),
    out: Path | None = typer.Option(None, "--out", "-o", help="输出文件（默认：标准输出）"),
) -> None:
    """以 JSONL 或 CSV（表头为国家标准字段代码）流式导出本市某目录项的信用记录，内存占用恒定：
    ``--subjects 1000000`` 也可运行。可用于对 ``xinyong ingest`` 做压力测试。"""
    if fmt not in ("jsonl", "csv"):
        err_console.print("[red]--format 只能是 jsonl 或 csv[/red]")
        raise typer.Exit(2)
    if item not in ITEM_HEADERS:
        err_console.print(f"[red]演示城市不生成目录项 {item}；可选：{', '.join(ITEM_HEADERS)}[/red]")
        raise typer.Exit(2)
    every = (r.values for r in iter_records(seed, subjects) if r.item == item and r.operation == "add")
    rows: Iterator[dict[str, str]] = islice(every, limit) if limit is not None else every
    fh = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout  # noqa: SIM115 - stdout or file
    try:
        if fmt == "jsonl":
            for values in rows:
                fh.write(json.dumps(values, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(fh, fieldnames=ITEM_HEADERS[item], lineterminator="\r\n")
            writer.writeheader()
            # Neutralised as every export is (core.spreadsheet), should a value look like a formula.
            writer.writerows(
                {k: cell_text(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows
            )
    finally:
        if out:
            fh.close()


def register(app: typer.Typer) -> None:
    """Attach ``xinyong demo ...`` to the main CLI."""
    app.add_typer(demo_app, name="demo")
