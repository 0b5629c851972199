"""``xinyong ledger``: verify the chain, make checkpoints, print proofs and the public key."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from xinyong.core.cli_errors import fail
from xinyong.core.db import get_database
from xinyong.core.errors import DomainError
from xinyong.ledger import service as ledger

cli = typer.Typer(help="防篡改账本：校验、检查点、包含证明。", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@cli.command("verify")
def verify_cmd(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出完整结果")) -> None:
    """重新计算每个哈希、哈希链与每个检查点；发现任何断裂时退出码为 1。"""
    with get_database().session() as session:
        result = ledger.verify(session)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    first = result.first_break
    if first is None:
        if not as_json:
            console.print(
                f"[green]账本完好[/green]: {result.entries} entries, {result.checkpoints} checkpoints, "
                f"head seq {result.head_seq}"
            )
        return
    if not as_json:
        target = first.target or {}
        err_console.print(f"[red]账本被破坏[/red]: {result.breaks_total} break(s); first broken entry:")
        lines = [
            f"  seq {first.seq}  kind={first.entry_kind or '-'}  ref={first.ref or '-'}  break={first.kind}",
            f"  belongs to: {json.dumps(target, ensure_ascii=False)}" if target else "",
            f"  {first.message_zh}",
            f"  {first.message}",
            f"  details: {json.dumps(first.details, ensure_ascii=False)}" if first.details else "",
        ]
        for line in filter(None, lines):
            # Refs and details are data, not Rich markup; no wrapping so refs stay greppable.
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


@cli.command("checkpoint")
def checkpoint_cmd() -> None:
    """为尚未覆盖的所有条目签署检查点。"""
    try:
        with get_database().session() as session:
            made = ledger.checkpoint_pending(session)
            docs = [ledger.checkpoint_document(cp) for cp in made]
    except DomainError as exc:
        raise fail(exc) from exc
    if not docs:
        console.print("没有新的账本条目，无需检查点 (nothing new)")
    for doc in docs:
        console.print(
            f"checkpoint {doc['id']}: seq {doc['first_seq']}-{doc['last_seq']} root {doc['root']} key {doc['key_id']}"
        )


@cli.command("proof")
def proof_cmd(
    seq: int = typer.Argument(..., help="账本条目序号（seq）"),
    payload: bool = typer.Option(False, "--payload", help="同时输出条目内容（可能不宜公开）"),
) -> None:
    """以 JSON 打印序号为 SEQ 的条目的包含证明（可用 docs/verify_ledger_proof.py 核验）。"""
    try:
        with get_database().session() as session:
            proof = ledger.inclusion_proof(session, seq, include_payload=payload).to_dict()
    except DomainError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(proof, ensure_ascii=False, indent=2))


@cli.command("public-key")
def public_key_cmd() -> None:
    """打印检查点签名密钥的公钥（PEM）。"""
    try:
        info = ledger.public_key_info()
    except DomainError as exc:
        raise fail(exc) from exc
    typer.echo(info["public_key_pem"], nl=False)


def register(app: typer.Typer) -> None:
    """Attach ``xinyong ledger`` to the main CLI."""
    app.add_typer(cli, name="ledger")
