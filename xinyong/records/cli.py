"""CLI of the records domain: ``xinyong tick``."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    """Attach the records commands to the main CLI."""

    @app.command()
    def tick(
        today: str = typer.Option(
            None, "--today", help="the day to run for (YYYY-MM-DD; default: today in China)"
        ),
    ) -> None:
        """End publicity of records past their window and update credit states (daily job)."""
        from xinyong.core.db import get_database
        from xinyong.records.scheduler import run_once

        day: date | None = None
        if today:
            try:
                day = date.fromisoformat(today)
            except ValueError:
                console.print(f"[red]日期格式错误[/red]: {today} (expected YYYY-MM-DD)")
                raise typer.Exit(2) from None
        ended, consumed = run_once(get_database(), day)
        console.print(f"公示期届满 publicity ended: {ended}; 信用状态事件 events consumed: {consumed}")
