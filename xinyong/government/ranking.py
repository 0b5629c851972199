"""The government integrity model run over the registered public bodies, and their ranking.

Not run by the evaluation engine: that engine grades each subject once (its grade is the
subject's credit state) and public bodies already get the organisations' grade there; this model
is a second, government-only view, and one of its indicators (the body's own 双公示 timeliness
as an information provider) is not a record feature of the engine's library."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.errors import NotFound
from xinyong.government.bodies import BodyInfo, list_bodies
from xinyong.government.models import GovernmentNotice
from xinyong.government.rules import GovernmentModel, Indicator, get_government_model
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service

LATE_WINDOW = timedelta(days=365)  # the 双公示 timeliness of the last twelve months


@dataclass
class IndicatorResult:
    code: str
    name_zh: str
    value: float | None  # records in force, or the late rate
    points: float  # deducted
    rule_zh: str


@dataclass
class BodyScore:
    body: BodyInfo
    score: float
    grade: str
    grade_zh: str
    veto: str | None
    rank: int
    indicators: list[IndicatorResult] = field(default_factory=list)
    notices: int = 0


def _late_rate(session: Session, provider_code: str | None, now: datetime) -> float | None:
    if not provider_code:
        return None
    try:
        m = ingest_service.provider_metrics(session, provider_code, since=now - LATE_WINDOW, until=now)
    except NotFound:
        return None
    return m.late_rate if m.rows_created else None


def _deduct(ind: Indicator, value: float | None) -> float:
    if value is None:
        return 0.0
    return min(ind.max_points, ind.points_each * value)


def score_bodies(session: Session, model: GovernmentModel | None = None) -> list[BodyScore]:
    """Every registered body scored and ranked (best first)."""
    model = model or get_government_model()
    bodies = list_bodies(session)
    now = datetime.now(UTC)
    in_force: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ids = [b.subject_id for b in bodies]
    for start in range(0, len(ids), 1000):
        for subject_id, _cat, item_code, _sev, status, n in records_service.record_counts(
            session, ids[start : start + 1000]
        ):
            if status == "in_force":
                in_force[subject_id][item_code] += int(n)
    notices: dict[int, int] = defaultdict(int)
    for body_id in session.scalars(select(GovernmentNotice.body_subject_id)):
        notices[body_id] += 1
    grades = sorted(model.grades, key=lambda g: -g.min_score)
    out: list[BodyScore] = []
    for b in bodies:
        results: list[IndicatorResult] = []
        for ind in model.indicators:
            if ind.feature == "records":
                value: float | None = float(sum(in_force[b.subject_id].get(i, 0) for i in ind.items))
            else:
                value = _late_rate(session, b.department_code, now)
            results.append(
                IndicatorResult(ind.code, ind.name_zh, value, round(_deduct(ind, value), 2), ind.rule_zh)
            )
        score = round(max(0.0, model.scale - sum(r.points for r in results)), 2)
        grade = next(g for g in grades if score >= g.min_score)
        veto = next(
            (v for v in model.vetoes if any(r.code == v.indicator and (r.value or 0) > 0 for r in results)),
            None,
        )
        if veto is not None:
            grade = next(g for g in model.grades if g.code == veto.grade)
        out.append(
            BodyScore(
                b,
                score,
                grade.code,
                grade.name_zh,
                veto.rule_zh if veto else None,
                0,
                results,
                notices[b.subject_id],
            )
        )
    out.sort(key=lambda s: (-s.score, s.body.name))
    for n, s in enumerate(out):
        s.rank = out[n - 1].rank if n and out[n - 1].score == s.score else n + 1
    return out
