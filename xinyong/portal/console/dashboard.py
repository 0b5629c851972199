"""The console's first page: what is waiting, and how the departments submit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from xinyong.core import calendar as work_calendar
from xinyong.core.errors import DomainError
from xinyong.ingest import service as ingest_service
from xinyong.lists import service as lists_service
from xinyong.lists.schemas import QueueItem
from xinyong.measures import service as measures_service
from xinyong.portal.console.charts import Chart
from xinyong.portal.console.desk import Desk, _own_provider
from xinyong.portal.console.measures import _caller
from xinyong.portal.console.monitor import DepartmentMetrics, department_metrics, metrics_charts
from xinyong.portal.console.procedures import list_queue
from xinyong.subjects import service as subjects_service


@dataclass
class Tile:
    label_key: str
    value: int | str
    href: str
    tone: str = ""  # "" | warn | bad


@dataclass
class Dashboard:
    desk: Desk
    tiles: list[Tile]
    metrics: list[DepartmentMetrics]
    charts: list[Chart]
    overdue_procedures: list[QueueItem] = field(default_factory=list)
    today: date = field(default_factory=lambda: lists_service.today_china())
    # From 1 November while next year's State Council holiday notice is not loaded.
    calendar_warning: str | None = None


def dashboard(session: Session, desk: Desk) -> Dashboard:
    """The console's first page: what is waiting, and how the departments submit."""
    own = _own_provider(desk)
    tiles: list[Tile] = []
    quarantine = ingest_service.list_quarantine(session, provider=own, status="open", per_page=1)
    tiles.append(
        Tile(
            "console.tile.quarantine",
            quarantine.total,
            "/console/quarantine",
            "warn" if quarantine.total else "",
        )
    )
    submissions = ingest_service.list_submissions(session, provider_id=own, per_page=1)
    tiles.append(Tile("console.tile.submissions", submissions.total, "/console/ingest"))
    queue = list_queue(session, desk)
    overdue = [q for q in queue if q.overdue]
    tiles.append(Tile("console.tile.lists", len(queue), "/lists/queue"))
    tiles.append(
        Tile("console.tile.lists_overdue", len(overdue), "/lists/queue?overdue=1", "bad" if overdue else "")
    )
    if desk.is_staff:
        report = subjects_service.governance_report(session)
        tiles.append(
            Tile(
                "console.tile.governance",
                report.open_total,
                "/console/governance",
                "warn" if report.open_total else "",
            )
        )
    try:
        stats = measures_service.feedback_stats(session, _caller(desk))
        tiles.append(
            Tile(
                "console.tile.checks_overdue",
                stats.overdue_checks,
                "/console/measures",
                "bad" if stats.overdue_checks else "",
            )
        )
    except DomainError:
        pass
    metrics = department_metrics(session, desk)
    return Dashboard(
        desk=desk,
        tiles=tiles,
        metrics=metrics,
        charts=metrics_charts(metrics),
        overdue_procedures=overdue[:10],
        calendar_warning=_calendar_warning(work_calendar.load_calendar(session)),
    )


def _calendar_warning(calendar: work_calendar.WorkCalendar) -> str | None:
    warning = work_calendar.missing_notice_warning(calendar, lists_service.today_china())
    return warning[1] if warning else None
