"""``xinyong ledger``: verify the chain, make checkpoints, print proofs and the public key."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, domain_errors
from xinyong.core.db import get_database
from xinyong.core.settings import get_settings
from xinyong.ledger import backup as backup_mod
from xinyong.ledger import incremental as incremental_mod
from xinyong.ledger import integrity
from xinyong.ledger import mirror as mirror_mod
from xinyong.ledger import service as ledger

cli = typer.Typer(help="防篡改账本：校验、检查点、包含证明。", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _print_chain_break(result: ledger.VerifyResult) -> None:
    first = result.first_break
    assert first is not None
    target = first.target or {}
    err_console.print(f"[red]账本被破坏[/red]：共 {result.breaks_total} 处断裂，第一处：")
    lines = [
        f"  seq {first.seq}  kind={first.entry_kind or '-'}  ref={first.ref or '-'}  break={first.kind}",
        f"  所属：{json.dumps(target, ensure_ascii=False)}" if target else "",
        f"  {first.message_zh}",
        f"  {first.message}",
        f"  详情：{json.dumps(first.details, ensure_ascii=False)}" if first.details else "",
    ]
    for line in filter(None, lines):
        # Refs and details are data, not Rich markup; no wrapping so refs stay greppable.
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def _print_data(reports: list[integrity.CheckReport]) -> None:
    for report in reports:
        status = "[green]一致[/green]" if report.total == 0 else f"[red]{report.total} 处不符[/red]"
        console.print(
            f"{report.title_zh}（{report.name}）：{report.rows} 行，{status}，{report.seconds:.1f} 秒"
        )
        for en, zh in report.warnings:
            err_console.print(f"  [yellow]注意[/yellow] {zh}", highlight=False)
            err_console.print(f"         {en}", markup=False, highlight=False, soft_wrap=True)
        for f in report.findings[:_SHOWN]:
            lines = [
                f"  {f.table} [{f.key}] {f.column or '（整行）'}：应为 {f.expected!s}，实为 {f.found!s}",
                f"    {f.message_zh}",
                f"    {f.message}",
                f"    重建命令 (rebuild): {f.rebuild}" if f.rebuild else "",
            ]
            for line in filter(None, lines):
                err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        if report.total > _SHOWN:
            err_console.print(
                f"  … 另有 {report.total - _SHOWN} 处（--json 输出前 {integrity.MAX_FINDINGS} 处）"
            )


_SHOWN = 20


@cli.command("verify", short_help="核验账本的哈希链、检查点及数据（有断裂时退出码为 1）。")
def verify_cmd(
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出完整结果"),
    chain_only: bool = typer.Option(False, "--chain-only", help="只核验账本自身的哈希链（chain only）"),
    mirror: Path | None = typer.Option(None, "--mirror", help="镜像目录：与其中的检查点比对"),
    incremental: bool = typer.Option(
        False, "--incremental", help="只核验上一个已核验检查点之后的变化（增量）"
    ),
) -> None:
    """核验账本（verify）：先核验哈希链与检查点，再以账本核对数据（记录、版本、查询日志、信用状态、名单
    程序）；发现任何断裂时退出码为 1。"""
    settings = get_settings()
    with cli_session() as session:
        mark = incremental_mod.read_mark(session) if incremental else None
        if incremental and mark is None:
            err_console.print("[yellow]没有可用的校验标记，执行完整校验[/yellow]")
        since = mark.last_seq if mark else 0
        if mark:
            console.print(f"增量校验：自检查点 {mark.checkpoint_id}（第 {since} 号条目）之后")
            result = ledger.verify(session, from_seq=since + 1, prev=mark.last_entry_hash)
        else:
            result = ledger.verify(session)
        reports = [] if chain_only else integrity.run_verifiers(session, since_seq=since)
        coverage = integrity.coverage(session, settings.checkpoint_interval_minutes)
        clean = result.first_break is None and not any(r.total for r in reports)
        if clean and not chain_only:
            incremental_mod.write_mark(session)
    held = mirror_mod.held_checkpoints(mirror) if mirror else []
    data_breaks = sum(r.total for r in reports)
    rollback = mirror_mod.compare_head(held, result.head_seq) if held else None
    if as_json:
        out = result.to_dict()
        out["data"] = [r.to_dict() for r in reports]
        out["coverage"] = coverage
        out["mirror"] = rollback
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        if result.first_break is None:
            console.print(
                f"[green]账本链完好[/green]：{result.entries} 个条目，{result.checkpoints} 个检查点，"
                f"最新序号 {result.head_seq}"
            )
        else:
            _print_chain_break(result)
        if coverage["uncovered_old"]:
            err_console.print(
                f"[yellow]注意[/yellow] {coverage['uncovered']} 条账本条目未被检查点覆盖，其中 "
                f"{coverage['uncovered_old']} 条早于检查点间隔（{coverage['interval_minutes']} 分钟）"
                "；请运行 xinyong ledger checkpoint",
                highlight=False,
            )
        if rollback:
            err_console.print(f"[red]{rollback['message_zh']}[/red]", highlight=False)
            err_console.print(rollback["message"], markup=False, highlight=False)
        _print_data(reports)
        if result.first_break is None and not data_breaks and not rollback:
            console.print("[green]账本完好，数据与账本一致[/green]" if reports else "[green]账本完好[/green]")
    if result.first_break is not None or data_breaks or rollback:
        raise typer.Exit(code=1)


@cli.command("checkpoint", short_help="封存查询日志，为新的账本条目签署检查点。")
def checkpoint_cmd() -> None:
    """封存查询日志，再为尚未覆盖的所有账本条目签署检查点（checkpoint）。"""
    with cli_session() as session:
        integrity.run_sealers(session)
        made = ledger.checkpoint_pending(session)
        docs = [ledger.checkpoint_document(cp) for cp in made]
    if not docs:
        console.print("没有新的账本条目，无需检查点")
    for doc in docs:
        console.print(
            f"检查点 {doc['id']}：seq {doc['first_seq']}-{doc['last_seq']}，根哈希 {doc['root']}，"
            f"签名密钥 {doc['key_id']}"
        )


@cli.command("mirror", short_help="镜像公开的检查点，发现账本被改写或回滚。")
def mirror_cmd(
    url: str = typer.Argument(..., help="平台地址，例如 https://credit.example.gov.cn"),
    directory: Path = typer.Argument(..., help="镜像保存检查点的目录"),
) -> None:
    """镜像检查点（mirror）：下载公开的检查点并与已保存的比对；账本被改写或回滚时报告（退出码 1）。"""
    try:
        outcome = mirror_mod.mirror(mirror_mod.http_fetch(url), directory)
    except mirror_mod.MirrorError as exc:
        err_console.print(f"[red]镜像校验失败[/red]：{exc.message_zh}", highlight=False)
        err_console.print(exc.message, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from exc
    console.print(
        f"[green]镜像完好[/green]: {outcome.held} checkpoints held, {outcome.added} new, "
        f"ledger seq 1-{outcome.last_seq} covered"
    )


@cli.command("proof", short_help="以 JSON 打印一个账本条目的包含证明。")
def proof_cmd(
    seq: int = typer.Argument(..., help="账本条目序号（seq）"),
    payload: bool = typer.Option(False, "--payload", help="同时输出条目内容（可能不宜公开）"),
) -> None:
    """以 JSON 打印序号为 SEQ 的条目的包含证明（可用 docs/verify_ledger_proof.py 核验）。"""
    with cli_session() as session:
        proof = ledger.inclusion_proof(session, seq, include_payload=payload).to_dict()
    typer.echo(json.dumps(proof, ensure_ascii=False, indent=2))


@cli.command("public-key")
def public_key_cmd() -> None:
    """打印检查点签名密钥的公钥（PEM）。"""
    with domain_errors():
        info = ledger.public_key_info()
    typer.echo(info["public_key_pem"], nl=False)


def backup_cmd(
    out: Path = typer.Argument(..., help="备份目录（新建或空目录）"),
    without_keys: bool = typer.Option(
        False, "--without-keys", help="不含密钥文件（会列出文件名，请另行备份）"
    ),
) -> None:
    """备份存储及其所需密钥（backup；SQLite 在线备份 / pg_dump -Fc）。"""
    settings = get_settings()
    with domain_errors():
        result = backup_mod.backup(
            get_database().engine, out, schema=settings.database_schema, include_keys=not without_keys
        )
    console.print(
        f"[green]备份完成[/green] {result.directory}：{result.dialect}，账本最新序号 {result.head_seq}，"
        f"{len(result.files)} 个文件"
    )
    for name in sorted(result.files):
        console.print(f"  {name}", markup=False, highlight=False)
    if not any(name.startswith("keys/") for name in result.files):
        err_console.print("[bold red]注意：备份中没有任何密钥文件[/bold red]")
    for en, zh in result.keys_elsewhere:
        err_console.print(f"[bold red]注意：{zh}[/bold red]", highlight=False)
        err_console.print(f"NOTE: {en}", markup=False, highlight=False, soft_wrap=True)


def restore_cmd(
    source: Path = typer.Argument(..., help="由 xinyong backup 生成的备份目录"),
) -> None:
    """把备份恢复到空存储（restore；存储非空时拒绝），连同密钥。"""
    settings = get_settings()
    with domain_errors():
        result = backup_mod.restore(get_database().engine, source, schema=settings.database_schema)
    console.print(f"[green]恢复完成[/green]：恢复后的账本止于序号 {result.head_seq}")
    for path in result.keys_restored:
        console.print(f"  已恢复密钥：{path}", markup=False, highlight=False)
    for en in result.keys_elsewhere:
        err_console.print(f"NOTE: {en}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        "下一步：用镜像核对是否回滚 —— xinyong ledger verify --mirror DIR",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Attach ``xinyong ledger`` (and ``xinyong backup`` / ``restore``) to the main CLI."""
    app.add_typer(cli, name="ledger")
    app.command("backup", short_help="备份存储及其所需密钥。")(backup_cmd)
    app.command("restore")(restore_cmd)
