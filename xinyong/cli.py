"""The ``xinyong`` command line (Typer + Rich). Each domain adds its own commands."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

from xinyong.core.db import get_database
from xinyong.core.settings import get_settings

app = typer.Typer(help="Xinyong 信用: public credit information platform.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@app.command()
def init() -> None:
    """Create or migrate the store (SQLite by default, PostgreSQL via XINYONG_DATABASE_URL)."""
    from xinyong.core.migrate import upgrade

    settings = get_settings()
    db = get_database()
    upgrade(db.engine, schema=settings.database_schema)
    console.print(
        f"[green]store ready[/green] ({db.dialect}: {db.engine.url.render_as_string(hide_password=True)})"
    )


@app.command()
def serve(
    host: str = typer.Option(None, help="bind address (default from settings)"),
    port: int = typer.Option(None, help="port (default from settings)"),
    workers: int = typer.Option(1, help="worker processes (one per CPU core for a busy API)"),
) -> None:
    """Serve the API and portal."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "xinyong.app:server_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
    )


def _register_tick() -> None:
    """``xinyong tick``: the daily job of every domain (``xinyong.jobs``), assembled here."""

    @app.command()
    def tick(
        today: str = typer.Option(
            None, "--today", help="the day to run for (YYYY-MM-DD; default: today in China)"
        ),
    ) -> None:
        """The daily job: end publicity past its window, update credit states, run the lists
        tick and the evaluation consumer, and sign a ledger checkpoint."""
        from xinyong.jobs import run_daily

        day: date | None = None
        if today:
            try:
                day = date.fromisoformat(today)
            except ValueError:
                console.print(f"[red]日期格式错误[/red]: {today} (expected YYYY-MM-DD)")
                raise typer.Exit(2) from None
        r = run_daily(get_database(), day)
        console.print(
            f"公示期届满 publicity ended: {r.records_ended}; 信用状态事件 events consumed: {r.state_events}"
        )
        console.print(
            f"名单 lists: {r.lists_exited} exited, {r.lists_escalated} escalations proposed; "
            f"评价 evaluation events: {r.evaluation_events}; 账本检查点 ledger checkpoints: {r.checkpoints}"
        )


def _register_domains() -> None:
    from xinyong.accounts import cli as accounts_cli
    from xinyong.catalog import cli as catalog_cli
    from xinyong.core import cli as core_cli
    from xinyong.core import ledger_cli
    from xinyong.demo import cli as demo_cli
    from xinyong.evaluation import cli as evaluation_cli
    from xinyong.ingest import cli as ingest_cli
    from xinyong.jobs import register_consumers
    from xinyong.lists import cli as lists_cli
    from xinyong.measures import cli as measures_cli
    from xinyong.querylog import cli as querylog_cli
    from xinyong.subjects import cli as subjects_cli

    core_cli.register(app)
    catalog_cli.register(app)
    ledger_cli.register(app)
    ingest_cli.register(app)
    lists_cli.register(app)
    _register_tick()
    subjects_cli.register(app)
    demo_cli.register(app)
    evaluation_cli.register(app)
    accounts_cli.register(app)
    querylog_cli.register(app)
    measures_cli.register(app)
    # A submission from the command line (``xinyong ingest``) leaves the credit states current.
    register_consumers()


_register_domains()
