"""CLI of the daily job: ``xinyong tick``."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

from xinyong.core.db import get_database
from xinyong.jobs import run_daily

console = Console()


def register(app: typer.Typer) -> None:
    """Attach the daily job's command to the main CLI."""

    @app.command()
    def tick(
        today: str = typer.Option(None, "--today", help="运行日期 YYYY-MM-DD（默认：中国时区的今天）"),
    ) -> None:
        """每日任务（tick）：结束公示期已满的公示，更新信用状态，运行名单与评价的
        日常处理，并签署账本检查点。"""
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
        if r.government_events or r.quality_scorecards:
            console.print(
                f"政务失信通报 government notice events read: {r.government_events}; "
                f"上月数据质量评分卡 last month's quality scorecards published: {r.quality_scorecards}"
            )
        if r.records_purged or r.records_kept_while_listed:
            console.print(
                f"保存期限届满删除 retention purge: {r.records_purged} 条不良信息已删除"
                f"（{r.records_kept_while_listed} 条因主体仍在严重失信名单上延期保存）"
            )
        if r.deadlines_recomputed or r.timeliness_recounted:
            console.print(
                f"节假日安排通知导入后重新计算 recomputed after a holiday notice: "
                f"{r.deadlines_recomputed} 个期限 deadlines, {r.timeliness_recounted} 条报送时效 timeliness verdicts"
            )
        if r.calendar_warning:
            console.print(f"[yellow]注意：{r.calendar_warning[1]}[/yellow]")
            console.print(f"[yellow]{r.calendar_warning[0]}[/yellow]")
