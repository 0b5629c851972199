"""The check log and feedback on measures (from ``measures.service``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.measures import service as measures_service
from xinyong.measures.schemas import CheckPage, FeedbackStats
from xinyong.portal.console.charts import Chart, Series
from xinyong.portal.console.desk import Desk
from xinyong.querylog import service as querylog_service


@dataclass
class MeasuresView:
    stats: FeedbackStats
    checks: CheckPage
    chart: Chart | None
    overdue_only: bool
    # Codes → Chinese names, so the page never shows TZ-CZJ or government_procurement alone.
    departments: dict[str, str] = field(default_factory=dict)
    matters: dict[str, str] = field(default_factory=dict)
    purposes: dict[str, str] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)


def _caller(desk: Desk) -> measures_service.Caller:
    return measures_service.Caller(label=desk.label, role=desk.role, department_code=desk.department_code)


def measures_view(session: Session, desk: Desk, *, overdue_only: bool = False) -> MeasuresView:
    caller = _caller(desk)
    stats = measures_service.feedback_stats(session, caller)
    checks = measures_service.list_checks(session, caller, overdue_only=overdue_only, limit=50)
    by_measure: dict[str, list[int]] = {}
    for row in stats.rows:
        name = row.measure_name_zh or row.measure
        agg = by_measure.setdefault(name, [0, 0])
        agg[0] += row.checks_with_measure
        agg[1] += row.feedback
    chart = None
    if by_measure:
        names = sorted(by_measure, key=lambda n: -by_measure[n][0])[:15]
        chart = Chart(
            "hbar",
            "各措施的核查与反馈",
            names,
            [
                Series("核查返回该措施", [float(by_measure[n][0]) for n in names]),
                Series("已反馈", [float(by_measure[n][1]) for n in names]),
            ],
        )
    return MeasuresView(
        stats=stats,
        checks=checks,
        chart=chart,
        overdue_only=overdue_only,
        departments={d.code: d.name for d in accounts_service.list_departments(session)},
        matters={m.code: m.name_zh for m in measures_service.list_matters()},
        purposes={p.code: p.name_zh for p in querylog_service.list_purposes()},
        measures={m.code: m.name_zh for m in measures_service.list_measures()},
    )
