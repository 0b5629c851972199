"""CLI commands of core: identifier checks (the calendar's commands are in ``catalog.calendar_cli``)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from xinyong.core.identifiers import check_id

id_app = typer.Typer(help="统一社会信用代码 / 居民身份证号码校验 (identifier checks).", no_args_is_help=True)


class KindChoice(StrEnum):
    uscc = "uscc"
    ric = "ric"


@id_app.command("check")
def id_check(
    codes: list[str] = typer.Argument(..., help="codes to check; '-' reads one code per line from stdin"),
    kind: KindChoice | None = typer.Option(None, "--kind", help="uscc or ric; inferred when omitted"),
) -> None:
    """Check codes: one JSON object per line (code, kind, valid, error, inner_check for USCC).
    Exit code 0 when every code is valid, 1 otherwise."""
    if codes == ["-"]:
        codes = [line.strip() for line in sys.stdin if line.strip()]
    all_valid = True
    for code in codes:
        result = check_id(code, kind.value if kind else None)
        all_valid &= result.valid
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    raise typer.Exit(0 if all_valid else 1)


def register(app: typer.Typer) -> None:
    """Attach core's commands to the main CLI."""
    app.add_typer(id_app, name="id")
