"""CLI of the daily job: ``xinyong tick``."""

from __future__ import annotations

import typer
from rich.console import Console

from xinyong.core.cli_common import parse_day
from xinyong.core.db import get_database
from xinyong.jobs import run_daily

console = Console()


def register(app: typer.Typer) -> None:
    """Attach the daily job's command to the main CLI."""

    @app.command(short_help="每日任务：公示到期、信用状态、名单、评价、检查点。")
    def tick(
        today: str = typer.Option(None, "--today", help="运行日期 YYYY-MM-DD（默认：中国时区的今天）"),
    ) -> None:
        """每日任务（tick）：结束公示期已满的公示，更新信用状态，运行名单与评价的
        日常处理，并签署账本检查点。"""
        day = parse_day(today, "--today")
        r = run_daily(get_database(), day)
        console.print(f"公示期届满 {r.records_ended} 条；信用状态事件 {r.state_events} 个")
        console.print(
            f"名单：期满移出 {r.lists_exited} 个，升级提议 {r.lists_escalated} 个；"
            f"评价事件 {r.evaluation_events} 个；账本检查点 {r.checkpoints} 个"
        )
        if r.government_events or r.quality_scorecards:
            console.print(
                f"政务失信通报事件 {r.government_events} 个；"
                f"已发布上月数据质量评分卡 {r.quality_scorecards} 份"
            )
        if r.records_purged or r.records_kept_while_listed:
            console.print(
                f"保存期限届满删除：{r.records_purged} 条不良信息已删除"
                f"（{r.records_kept_while_listed} 条因主体仍在严重失信名单上延期保存）"
            )
        if r.deadlines_recomputed or r.timeliness_recounted:
            console.print(
                f"节假日安排通知导入后重新计算：{r.deadlines_recomputed} 个期限，"
                f"{r.timeliness_recounted} 条报送时效"
            )
        if r.calendar_warning:
            console.print(f"[yellow]注意：{r.calendar_warning[1]}[/yellow]")  # [0] is its English
