"""CLI commands of core: identifier checks (the calendar's commands are in ``catalog.calendar_cli``)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from xinyong.core.identifiers import check_id

id_app = typer.Typer(help="统一社会信用代码 / 居民身份证号码校验。", no_args_is_help=True)


class KindChoice(StrEnum):
    uscc = "uscc"
    ric = "ric"


@id_app.command("check", short_help="校验统一社会信用代码或身份证号码，每行输出 JSON。")
def id_check(
    codes: list[str] = typer.Argument(..., help="要校验的代码；'-' 表示从标准输入逐行读取"),
    kind: KindChoice | None = typer.Option(
        None, "--kind", help="代码类型：uscc（统一社会信用代码）或 ric（居民身份证号码）；省略时自动判断"
    ),
) -> None:
    """校验代码：每行输出一个 JSON 对象（code、kind、valid、error、message_zh，统一社会信用代码另有
    inner_check）。全部有效时退出码为 0，否则为 1。"""
    if codes == ["-"]:
        codes = [line.strip() for line in sys.stdin if line.strip()]
    all_valid = True
    for code in codes:
        result = check_id(code, kind.value if kind else None)
        all_valid &= result.valid
        # The machine-readable line, plus what is wrong in words (「统一社会信用代码应为18位，实为5位」).
        line = {**result.to_dict(), "message_zh": result.message_zh if not result.valid else "有效"}
        typer.echo(json.dumps(line, ensure_ascii=False))
    raise typer.Exit(0 if all_valid else 1)


def register(app: typer.Typer) -> None:
    """Attach core's commands to the main CLI."""
    app.add_typer(id_app, name="id")
