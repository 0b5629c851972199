"""The ``xinyong`` command line (Typer + Rich). Each domain adds its own commands."""

from __future__ import annotations

import typer
from rich.console import Console

from xinyong.core.db import get_database
from xinyong.core.settings import get_settings

# Each command imports its domain inside the function: `xinyong --help` and every command load
# only what they use (the whole application takes seconds to import). Not to dodge a cycle.

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


def _register_domains() -> None:
    from xinyong.accounts import cli as accounts_cli
    from xinyong.catalog import calendar_cli
    from xinyong.catalog import cli as catalog_cli
    from xinyong.core import cli as core_cli
    from xinyong.creditstate import cli as creditstate_cli
    from xinyong.demo import cli as demo_cli
    from xinyong.evaluation import cli as evaluation_cli
    from xinyong.ingest import cli as ingest_cli
    from xinyong.jobs import cli as jobs_cli
    from xinyong.ledger import cli as ledger_cli
    from xinyong.lists import cli as lists_cli
    from xinyong.measures import cli as measures_cli
    from xinyong.querylog import cli as querylog_cli
    from xinyong.subjects import cli as subjects_cli

    core_cli.register(app)
    catalog_cli.register(app)
    calendar_cli.register(app)
    ledger_cli.register(app)
    ingest_cli.register(app)
    lists_cli.register(app)
    jobs_cli.register(app)  # tick: the daily job, across domains
    subjects_cli.register(app)
    demo_cli.register(app)
    evaluation_cli.register(app)
    accounts_cli.register(app)
    querylog_cli.register(app)
    measures_cli.register(app)
    creditstate_cli.register(app)


def _register_consumers() -> None:
    """A submission from the command line (``xinyong ingest``) leaves the credit states current
    (``xinyong.jobs.register_consumers``)."""
    from xinyong.jobs import register_consumers

    register_consumers()


def _load_verifiers() -> None:
    from xinyong.jobs.integrity import register_verifiers

    register_verifiers()


def _register_verifiers() -> None:
    """`xinyong ledger verify` / `checkpoint` get every domain's verifier and sealer, imported
    only when one of them runs (``xinyong.jobs.integrity``)."""
    from xinyong.ledger.integrity import add_loader

    add_loader(_load_verifiers)


_register_domains()
_register_consumers()
_register_verifiers()
