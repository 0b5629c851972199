"""CLI of the catalog domain: check a ruleset, write an item's XLSX template."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from xinyong.catalog.ruleset import RulesetError
from xinyong.catalog.service import get_catalog, load_catalog, xlsx_template
from xinyong.core.cli_common import cli_table
from xinyong.core.settings import get_settings

catalog_app = typer.Typer(help="信用信息目录与规则集：检查、列表、报送模板。", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@catalog_app.command("validate")
def validate(
    directory: Path = typer.Argument(None, help="规则集目录（默认：设置中配置的目录）"),
) -> None:
    """检查规则集目录；有误时指出文件与问题，并以非零退出码结束。"""
    target = directory or get_settings().ruleset_dir
    try:
        catalog = load_catalog(target)
    except RulesetError as exc:
        err_console.print(f"[red]规则集有误[/red] {exc.message_zh}")
        for err in exc.details.get("errors", []):
            err_console.print(f"  {err['loc']}: {err['message']}")
        raise typer.Exit(1) from exc
    table = cli_table(
        "目录项", "代码", "字段数", "公示规则", "双公示", title=f"{catalog.meta.name} {catalog.meta.version}"
    )
    for item in catalog.items():
        table.add_row(
            item.name_zh,
            item.code,
            str(len(item.fields)),
            catalog.publicity_rules.rules[item.publicity].name_zh,
            "是" if item.double_publicity else "",
        )
    console.print(table)
    console.print(f"[green]规则集有效[/green]（{target}）")


_POLARITY_ZH = {"positive": "守信", "negative": "失信", "neutral": "中性"}


@catalog_app.command("list")
def list_items() -> None:
    """列出信用信息目录的目录项：双公示行政行为在前，并列出其公示时限。"""
    catalog = get_catalog()
    today = date.today()
    items = sorted(catalog.items(), key=lambda i: (not i.double_publicity, i.code))
    # Item codes fold rather than keep their width (up to 28 characters): at 80 columns the
    # names beside them would otherwise be cut.
    table = cli_table(
        "目录项",
        "代码（报送时使用）",
        "信息性质",
        "双公示时限",
        "公示",
        title=f"信用信息目录（{catalog.meta.name} {catalog.meta.version}）",
    )
    for item in items:
        limit = catalog.timeliness_limit_working_days(item, today)
        table.add_row(
            item.name_zh,
            item.code,
            _POLARITY_ZH[item.polarity],
            f"{limit} 个工作日" if item.double_publicity and limit is not None else "",
            catalog.publicity_rules.rules[item.publicity].name_zh,
        )
    console.print(table)
    count = sum(1 for i in items if i.double_publicity)
    console.print(f"共 {len(items)} 个目录项，其中双公示行政行为 {count} 类")


@catalog_app.command("template")
def template(
    item: str = typer.Argument(..., help="目录项代码（catalog item），如 administrative_penalty"),
    output: Path = typer.Option(None, "--output", "-o", help="输出文件（默认 目录项代码.xlsx）"),
) -> None:
    """生成某个目录项的 XLSX 报送模板。"""
    get_catalog().item(item)
    path = output or Path(f"{item}.xlsx")
    path.write_bytes(xlsx_template(item))
    console.print(f"[green]已生成[/green] {path}")


def register(app: typer.Typer) -> None:
    """Attach the catalog commands (``xinyong catalog ...``) to the main CLI."""
    app.add_typer(catalog_app, name="catalog")
