"""``xinyong monitoring report --month YYYY-MM --out FILE.pdf [--district CODE]`` and
``xinyong monitoring indicators``: the city credit monitoring figures."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from xinyong.core.cli_common import cli_session, cli_table

console = Console()
monitoring_app = typer.Typer(help="城市信用状况监测：监测指标、月度监测报告。", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(monitoring_app, name="monitoring")


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v * 100:.2f}%" if unit == "%" else f"{v:,.4g} {unit}"


@monitoring_app.command("indicators")
def indicators(
    month: str = typer.Option(..., "--month", help="月份 YYYY-MM"),
    district: str = typer.Option("", "--district", help="6位行政区划代码；不填为全市"),
) -> None:
    """列出各监测指标本月（或当前）的值及是否达标。"""
    # Imported here: `xinyong --help` loads no domain (CLI start-up time).
    from xinyong.core import months
    from xinyong.monitoring import service

    with cli_session() as session:
        p, results = service.dashboard(session, months.parse_month(month), district)
    table = cli_table(
        "指标",
        "值",
        "目标",
        "达标",
        title=f"城市信用状况监测（{service.scope_label(p, service.district_name(p.district))}）",
    )
    for r in results:
        target = " ".join(
            t
            for t in (
                f"≥{_fmt(r.target_min, r.unit)}" if r.target_min is not None else "",
                f"≤{_fmt(r.target_max, r.unit)}" if r.target_max is not None else "",
            )
            if t
        )
        met = "—" if r.meets_target is None else ("是" if r.meets_target else "否")
        table.add_row(r.name_zh, _fmt(r.value, r.unit) if r.available else r.note, target or "—", met)
    console.print(table)


@monitoring_app.command("report")
def report(
    month: str = typer.Option(..., "--month", help="月份 YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="写出 PDF 文件"),
    district: str = typer.Option("", "--district", help="6位行政区划代码；不填为全市"),
) -> None:
    """生成城市信用状况监测月报（PDF）。"""
    from xinyong.core import months
    from xinyong.monitoring import service

    with cli_session() as session:
        pdf = service.monthly_report_pdf(session, months.parse_month(month), district)
    out.write_bytes(pdf)
    console.print(f"已写出 {out}（{len(pdf):,} 字节）")
