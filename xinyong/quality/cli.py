"""``xinyong quality report --month YYYY-MM [--out FILE.xlsx] [--publish]``: the month's data
quality scorecards and ranking of every department."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, cli_table

console = Console()
quality_app = typer.Typer(help="数据质量：各信息提供单位的月度评分卡与排名。", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


@quality_app.command("report")
def report(
    month: str = typer.Option(..., "--month", help="月份 YYYY-MM"),
    out: Path | None = typer.Option(None, "--out", help="写出 XLSX 文件"),
    publish: bool = typer.Option(False, "--publish", help="保存本月评分并推送各部门的评分卡"),
) -> None:
    """打印各信息提供单位本月的数据质量评分与排名；--out 另存为 XLSX。"""
    # Imported here: `xinyong --help` loads no domain (CLI start-up time).
    from xinyong.core import months
    from xinyong.quality import service

    with cli_session() as session:
        m = months.parse_month(month)
        if publish:
            cards = service.publish_month(session, m)
            session.commit()
        else:
            cards = service.month_report(session, m)
    table = cli_table(
        "名次",
        "单位",
        "报送行数",
        "时效性",
        "完整性",
        "准确性",
        "重错码率(‱)",
        "缺报月",
        "得分",
        title=f"{months.key(m)} 数据质量评分（{len(cards)} 个单位）",
    )
    for c in cards:
        x = c.metrics
        table.add_row(
            str(c.rank),
            c.provider_name,
            str(x.rows_total),
            _pct(x.timeliness),
            _pct(x.completeness),
            _pct(x.accuracy),
            "—" if x.code_error_per_10000 is None else f"{x.code_error_per_10000:g}",
            str(x.missing_months),
            f"{c.score:.2f}",
        )
    console.print(table)
    if out is not None:
        out.write_bytes(service.scorecards_xlsx(cards, months.key(m)))
        console.print(f"已写出 {out}")
