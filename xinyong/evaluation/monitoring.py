"""Evaluation monitoring: grade distributions, PSI, run reports, AUC/KS backtests."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog.ruleset import add_months
from xinyong.core.errors import NotFound
from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import engine as eng
from xinyong.evaluation.model import ModelSpec
from xinyong.evaluation.models import EvaluationModel, EvaluationResult
from xinyong.evaluation.reading import _run_row
from xinyong.evaluation.run import _decode, _fact_map, _run_info, _today, compiled_for
from xinyong.evaluation.schemas import (
    Backtest,
    GradeShare,
    PsiRow,
    RunReport,
)
from xinyong.evaluation.versions import _spec_of, models_in_force
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service


def _distribution(spec: ModelSpec, counts: dict[str, int]) -> list[GradeShare]:
    total = sum(counts.values()) or 1
    return [
        GradeShare(
            grade=g.code,
            label_zh=g.label_zh,
            display_zh=g.display_zh,
            count=counts.get(g.code, 0),
            share=(Decimal(counts.get(g.code, 0)) / total).quantize(Decimal("0.0001")),
            target=spec.target_distribution.distribution[g.code],
        )
        for g in spec.grades
    ]


def psi(expected: Sequence[Decimal], actual: Sequence[Decimal], edges: Sequence[Decimal]) -> Decimal:
    """Population stability index of ``actual`` against ``expected`` over bins [edge_k, edge_k+1);
    empty bins count as a tiny share so the index stays finite."""
    import math

    def shares(values: Sequence[Decimal]) -> list[float]:
        counts = [0] * (len(edges) - 1)
        for v in values:
            for k in range(len(edges) - 1):
                if edges[k] <= v < edges[k + 1]:
                    counts[k] += 1
                    break
        n = sum(counts) or 1
        return [max(c / n, 1e-6) for c in counts]

    e, a = shares(expected), shares(actual)
    return Decimal(str(round(sum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e, strict=True)), 4)))


def run_report(session: Session, run_id: int, compare_to: int | None = None) -> RunReport:
    """A run's grade distribution against the model's target; with ``compare_to``, the grade
    migration matrix between the two runs and the PSI of every dimension score."""
    run = _run_row(session, run_id)
    model = session.get(EvaluationModel, run.model_id)
    assert model is not None
    spec = _spec_of(model)
    report = RunReport(
        run=_run_info(run),
        distribution=_distribution(spec, dict(run.grade_counts or {})),
        psi_stable_below=spec.monitoring.psi_stable_below,
        psi_shift_from=spec.monitoring.psi_shift_from,
    )
    if compare_to is None:
        return report
    base = _run_row(session, compare_to)
    report.compared_to = _run_info(base)
    old = {
        sid: (grade, dims)
        for sid, grade, dims in session.execute(
            select(EvaluationResult.subject_id, EvaluationResult.grade, EvaluationResult.dimensions).where(
                EvaluationResult.run_id == base.id
            )
        )
    }
    new = {
        sid: (grade, dims)
        for sid, grade, dims in session.execute(
            select(EvaluationResult.subject_id, EvaluationResult.grade, EvaluationResult.dimensions).where(
                EvaluationResult.run_id == run.id
            )
        )
    }
    migration: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sid, (grade, _) in new.items():
        before = old.get(sid)
        migration[before[0] if before else "-"][grade] += 1
    report.migration = {k: dict(v) for k, v in migration.items()}
    rows = []
    edges = spec.monitoring.psi_bins
    for d in spec.dimensions:
        value = psi(
            [Decimal(v[1][d.code]) for v in old.values() if d.code in v[1]],
            [Decimal(v[1][d.code]) for v in new.values() if d.code in v[1]],
            edges,
        )
        status = (
            "stable"
            if value < spec.monitoring.psi_stable_below
            else "watch"
            if value < spec.monitoring.psi_shift_from
            else "shift"
        )
        rows.append(PsiRow(dimension=d.code, name_zh=d.name_zh, psi=value, status=status))
    report.psi = rows
    return report


def auc_ks(scores: Sequence[Decimal], labels: Sequence[bool]) -> tuple[Decimal | None, Decimal | None]:
    """AUC (rank statistic; a LOWER score should mean MORE risk) and KS of the score against a
    binary outcome."""
    pos = sum(labels)
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return None, None
    order = sorted(range(len(scores)), key=lambda k: scores[k])
    # Average ranks over ties (ascending score = descending risk).
    ranks = [0.0] * len(scores)
    k = 0
    while k < len(order):
        j = k
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[k]]:
            j += 1
        for m in range(k, j + 1):
            ranks[order[m]] = (k + j) / 2 + 1
        k = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    auc_low = (rank_sum - pos * (pos + 1) / 2) / (pos * neg)  # P(score_pos > score_neg)
    auc = 1 - auc_low
    ks = 0.0
    cum_pos = cum_neg = 0
    k = 0
    while k < len(order):
        j = k
        while j < len(order) and scores[order[j]] == scores[order[k]]:
            if labels[order[j]]:
                cum_pos += 1
            else:
                cum_neg += 1
            j += 1
        ks = max(ks, abs(cum_pos / pos - cum_neg / neg))
        k = j
    return Decimal(str(round(auc, 4))), Decimal(str(round(ks, 4)))


def backtest(session: Session, *, model_code: str = "enterprise", cutoff: date | None = None) -> Backtest:
    """Grade every subject on the records DECIDED by ``cutoff`` (default: horizon months before
    today) and check whether low grades are followed by serious penalties decided within the
    model's horizon. On the demo city this is SYNTHETIC data and says nothing about reality."""

    today = _today()
    spec = next((s for s in models_in_force(today) if s.code == model_code), None)
    if spec is None:
        raise NotFound(
            f"No model {model_code} in force",
            f"没有生效的评价模型 {model_code}",
            code="evaluation.model_not_found",
        )
    horizon = spec.monitoring.backtest_horizon_months
    cutoff = cutoff or add_months(today, -horizon)
    end = add_months(cutoff, horizon)
    import pyarrow.compute as pc

    known = records_service.evaluation_records(
        session,
        items=sorted(spec.items() | {"administrative_penalty"}),
        facts=_fact_map(spec),
        include_ended=True,
    )

    subjects = eng.subjects_table(subjects_service.evaluation_subjects(session, kinds=spec.subject_kinds), {})
    # Records as they stood at the cutoff: decided by then and (by their window) still shown.
    rec = eng.records_table(known, {f for _, f in spec.facts()})
    keep = pc.and_(
        pc.less_equal(rec["decision_date"], pa.scalar(cutoff, pa.date32())),
        pc.or_kleene(
            pc.is_null(rec["publicity_end"]),
            pc.greater_equal(rec["publicity_end"], pa.scalar(cutoff, pa.date32())),
        ),
    )
    at_cutoff = eng.Inputs(subjects, rec.filter(pc.fill_null(keep, False)), cutoff, None)
    rows = _decode(compiled_for(spec, cutoff), eng.run_duckdb(compiled_for(spec, cutoff), at_cutoff))
    hit = {
        r.subject_id
        for r in known
        if r.item_code == "administrative_penalty"
        and r.severity == "serious"
        and r.decision_date is not None
        and cutoff < r.decision_date <= end
    }
    labels = [r.subject_id in hit for r in rows]
    auc, ks = auc_ks([r.score for r in rows], labels)
    by_grade: dict[str, dict[str, Decimal | int]] = {}
    for g in spec.grade_codes():
        members = [lab for r, lab in zip(rows, labels, strict=True) if r.grade == g]
        by_grade[g] = {
            "subjects": len(members),
            "positives": sum(members),
            "rate": (Decimal(sum(members)) / len(members)).quantize(Decimal("0.0001"))
            if members
            else Decimal(0),
        }
    return Backtest(
        synthetic=True,
        label_zh="回测基于演示城市的合成数据，仅用于检验流程，不代表真实信用风险。",
        model_code=spec.code,
        model_version=spec.version,
        cutoff=cutoff,
        horizon_months=horizon,
        subjects=len(rows),
        positives=sum(labels),
        auc=auc,
        ks=ks,
        rate_by_grade=by_grade,
    )


def results_table(session: Session, run_id: int) -> list[tuple[int, Decimal, str]]:
    """(subject, score, grade) of a run, by subject (tests and comparisons)."""
    return [
        (sid, Decimal(score), grade)
        for sid, score, grade in session.execute(
            select(EvaluationResult.subject_id, EvaluationResult.score, EvaluationResult.grade)
            .where(EvaluationResult.run_id == run_id)
            .order_by(EvaluationResult.subject_id)
        )
    ]


def grade_counts(session: Session) -> dict[str, int]:
    """How many subjects hold each grade now (from the state rows)."""
    return dict(Counter(g for g, _ in creditstate_service.all_evaluation_states(session).values() if g))
