"""The grade distribution of each model's latest batch run (from ``evaluation.service``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xinyong.evaluation import service as evaluation_service
from xinyong.evaluation.schemas import GradeShare, RunInfo
from xinyong.portal.console.charts import Chart, Series, _pct


@dataclass
class Distribution:
    run: RunInfo
    shares: list[GradeShare]
    chart: Chart
    model_name_zh: str


@dataclass
class EvaluationView:
    distributions: list[Distribution]
    grade_counts: dict[str, int]


def evaluation_view(session: Session) -> EvaluationView:
    """The latest batch run of each model: its grade distribution against the model's target."""
    latest: dict[str, RunInfo] = {}
    for run in evaluation_service.list_runs(session, kind="batch", limit=50):
        if run.model_code not in latest or run.id > latest[run.model_code].id:
            latest[run.model_code] = run
    model_names = {m.code: m.name_zh for m in evaluation_service.list_models(session)}
    out = []
    for code in sorted(latest):
        report = evaluation_service.run_report(session, latest[code].id)
        labels = [s.display_zh for s in report.distribution]
        chart = Chart(
            "bar",
            f"{model_names.get(code, code)}等级分布",
            labels,
            [
                Series("实际占比", [_pct(float(s.share)) for s in report.distribution]),
                Series("目标占比", [_pct(float(s.target)) for s in report.distribution]),
            ],
            "%",
        )
        out.append(
            Distribution(
                run=report.run,
                shares=report.distribution,
                chart=chart,
                model_name_zh=model_names.get(code, code),
            )
        )
    names = {s.grade: s.display_zh for d in out for s in d.shares}  # 「B（良好）」
    counts = evaluation_service.grade_counts(session)
    return EvaluationView(distributions=out, grade_counts={names.get(g, g): n for g, n in counts.items()})
