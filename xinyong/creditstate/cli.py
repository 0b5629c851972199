"""``xinyong creditstate``: rebuild the derived credit states from the records."""

from __future__ import annotations

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session
from xinyong.creditstate import consumer

cli = typer.Typer(help="信用状态（派生数据）。", no_args_is_help=True)
console = Console()


@cli.command("rebuild", short_help="按记录重建每个主体的信用状态计数。")
def rebuild_cmd() -> None:
    """重建信用状态（rebuild）：按记录重新计算每个主体的在效计数（xinyong ledger verify 发现计数不符时
    提示运行本命令）。"""
    with cli_session() as session:
        consumer.process_events(session)
        n = consumer.rebuild(session)
    console.print(f"已重算 {n} 个主体的信用状态计数")


def register(app: typer.Typer) -> None:
    app.add_typer(cli, name="creditstate")
