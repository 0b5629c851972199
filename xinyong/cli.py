"""The ``xinyong`` command line (Typer + Rich). Each domain adds its own commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from typer import _click as typer_click
from typer import rich_utils
from typer.core import TyperGroup
from typer.exceptions import TyperException

from xinyong.core import cli_errors
from xinyong.core.db import get_database
from xinyong.core.errors import DomainError
from xinyong.core.settings import get_settings

# Each command imports its domain inside the function: `xinyong --help` and every command load
# only what they use (the whole application takes seconds to import). Not to dodge a cycle.


# Typer's help screens in Chinese: its panel titles are module constants read when help is drawn.
rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
_HELP_OPTION_ZH = "显示本帮助并退出。"


def _help_option_in_chinese(command: Any) -> None:
    """Every command's ``--help`` says 「显示本帮助并退出」 (Click's text is English)."""
    option = command.get_help_option(typer_click.Context(command))
    if option is not None:
        option.help = _HELP_OPTION_ZH
    for sub in getattr(command, "commands", {}).values():
        _help_option_in_chinese(sub)


class _ChineseUsageErrors(TyperGroup):
    """The root command: Typer/Click's own usage errors (missing argument, unknown option, bad
    value, unknown command) in the house style 「错误：…」 + hint, exit 2, instead of an English box;
    a domain error no command caught is said the same way (never a traceback)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        _help_option_in_chinese(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except DomainError as exc:
            sys.exit(cli_errors.fail(exc).exit_code)
        except typer.Abort:
            typer.echo("已取消。", err=True)
            sys.exit(1)
        except TyperException as exc:  # Click's ClickException and its usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)
                sys.exit(2)
            message, hint = cli_errors.usage_error_zh(exc)
            cli_errors.error(message, hint=hint)
            sys.exit(cli_errors.EXIT_ERROR)
        # Not standalone, Typer returns the code a command exited with (``typer.Exit(n)``).
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=_ChineseUsageErrors,
    help="Xinyong 公共信用信息平台命令行（public credit information platform）。",
    no_args_is_help=True,
    # Typer's own --install-completion/--show-completion speak English; shell completion is not
    # something a city's staff set up from here.
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@app.command(short_help="创建或升级存储（SQLite 或 PostgreSQL）。")
def init() -> None:
    """创建或升级存储（默认 SQLite；PostgreSQL 用 XINYONG_DATABASE_URL 指定）。"""
    from xinyong.core.migrate import upgrade

    settings = get_settings()
    db = get_database()
    upgrade(db.engine, schema=settings.database_schema)
    console.print(
        f"[green]存储已就绪[/green]（{db.dialect}：{db.engine.url.render_as_string(hide_password=True)}）"
    )


@app.command()
def serve(
    host: str = typer.Option(None, help="监听地址（默认取设置 XINYONG_HOST）"),
    port: int = typer.Option(None, min=1, max=65535, help="端口（默认取设置 XINYONG_PORT）"),
    workers: int = typer.Option(1, min=1, help="工作进程数（繁忙的 API 每个 CPU 核一个）"),
) -> None:
    """启动 API 与门户网站（serve）。"""
    import uvicorn

    settings = get_settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_port_free(bind_host, bind_port)
    uvicorn.run(
        "xinyong.app:server_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level="info",
    )


def _check_port_free(host: str, port: int) -> None:
    """Fail at once, in words, when the port is taken (uvicorn would start the app, its background
    jobs and DuckDB first, then exit with a stack of shutdown noise)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise cli_errors.error(
                f"端口 {port} 已被占用", hint="可用 --port 指定其他端口，例如 xinyong serve --port 8600"
            ) from None


def _register_domains() -> None:
    from xinyong.accounts import cli as accounts_cli
    from xinyong.catalog import calendar_cli
    from xinyong.catalog import cli as catalog_cli
    from xinyong.commitments import cli as commitments_cli
    from xinyong.core import cli as core_cli
    from xinyong.creditstate import cli as creditstate_cli
    from xinyong.declarations import cli as declarations_cli
    from xinyong.demo import cli as demo_cli
    from xinyong.evaluation import cli as evaluation_cli
    from xinyong.government import cli as government_cli
    from xinyong.ingest import cli as ingest_cli
    from xinyong.jobs import cli as jobs_cli
    from xinyong.ledger import cli as ledger_cli
    from xinyong.lists import cli as lists_cli
    from xinyong.measures import cli as measures_cli
    from xinyong.monitoring import cli as monitoring_cli
    from xinyong.objections import cli as objections_cli
    from xinyong.quality import cli as quality_cli
    from xinyong.querylog import cli as querylog_cli
    from xinyong.repairs import cli as repairs_cli
    from xinyong.reports import cli as reports_cli
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
    reports_cli.register(app)
    quality_cli.register(app)
    government_cli.register(app)
    monitoring_cli.register(app)
    objections_cli.register(app)
    repairs_cli.register(app)
    commitments_cli.register(app)
    declarations_cli.register(app)


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
