"""Evaluation reads: a subject's result (explain), its history, runs, reproducing a run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.errors import NotFound
from xinyong.evaluation import engine as eng
from xinyong.evaluation.model import ModelSpec
from xinyong.evaluation.models import EvaluationModel, EvaluationResult, EvaluationRun
from xinyong.evaluation.run import _decode, _inputs, _Row, _run_info, compiled_for
from xinyong.evaluation.schemas import (
    HistoryEntry,
    Reason,
    RunInfo,
    SubjectResult,
)
from xinyong.evaluation.versions import _spec_of


def _subject_result(
    spec: ModelSpec,
    row: _Row | EvaluationResult,
    *,
    run_id: int | None,
    as_of: date,
    snapshot_at: datetime | None,
) -> SubjectResult:
    grade = spec.grade(row.grade)
    return SubjectResult(
        subject_id=row.subject_id,
        model_code=spec.code,
        model_version=spec.version,
        run_id=run_id,
        as_of=as_of,
        snapshot_at=snapshot_at,
        score=Decimal(row.score),
        grade=row.grade,
        grade_label_zh=grade.label_zh,
        grade_name_zh=grade.name_zh,
        grade_display_zh=grade.display_zh,
        score_grade=row.score_grade,
        veto=row.veto,
        cap=row.cap,
        dimensions={k: Decimal(v) for k, v in row.dimensions.items()},
        dimension_names_zh={d.code: d.name_zh for d in spec.dimensions},
        points={k: Decimal(v) for k, v in row.points.items()},
        features=dict(row.features),
        cites={k: list(v) for k, v in row.cites.items()},
        reasons=[Reason.model_validate(r) for r in row.reasons],
    )


def _not_evaluated(subject_id: int) -> NotFound:
    return NotFound(
        f"Subject {subject_id} has no evaluation yet",
        f"该主体尚无公共信用综合评价结果：{subject_id}",
        code="evaluation.not_evaluated",
        subject_id=subject_id,
    )


def explain(session: Session, subject_id: int) -> SubjectResult:
    """The subject's current grade with its reasons (its latest stored result)."""
    found = session.execute(
        select(EvaluationResult, EvaluationRun, EvaluationModel)
        .join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
        .join(EvaluationModel, EvaluationModel.id == EvaluationRun.model_id)
        .where(EvaluationResult.subject_id == subject_id, EvaluationRun.kind.in_(("batch", "incremental")))
        .order_by(EvaluationResult.run_id.desc())
        .limit(1)
    ).first()
    if found is None:
        raise _not_evaluated(subject_id)
    result, run, model = found
    return _subject_result(
        _spec_of(model), result, run_id=run.id, as_of=run.as_of, snapshot_at=run.snapshot_at
    )


def history(session: Session, subject_id: int, limit: int = 100) -> list[HistoryEntry]:
    """The subject's results, newest first (batch and incremental runs)."""
    rows = session.execute(
        select(EvaluationResult, EvaluationRun)
        .join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
        .where(EvaluationResult.subject_id == subject_id, EvaluationRun.kind.in_(("batch", "incremental")))
        .order_by(EvaluationResult.run_id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryEntry(
            run_id=run.id,
            kind=run.kind,
            model_code=run.model_code,
            model_version=run.model_version,
            as_of=run.as_of,
            snapshot_at=run.snapshot_at,
            score=res.score,
            grade=res.grade,
            veto=res.veto,
            cap=res.cap,
        )
        for res, run in rows
    ]


def _run_row(session: Session, run_id: int) -> EvaluationRun:
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound(
            f"Evaluation run {run_id} not found", f"未找到评价批次 {run_id}", code="evaluation.run_not_found"
        )
    return run


def get_run(session: Session, run_id: int) -> RunInfo:
    return _run_info(_run_row(session, run_id))


def list_runs(session: Session, *, kind: str | None = None, limit: int = 50) -> list[RunInfo]:
    stmt = select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(EvaluationRun.kind == kind)
    return [_run_info(r) for r in session.scalars(stmt)]


def reproduce(session: Session, run_id: int, subject_ids: Sequence[int] | None = None) -> list[SubjectResult]:
    """Evaluate again with the run's STORED model version on the data as it stood at the run's
    snapshot time (from the record versions): the same grades, or the store was changed behind
    the platform's back."""
    run = _run_row(session, run_id)
    model = session.get(EvaluationModel, run.model_id)
    assert model is not None
    spec = _spec_of(model)
    ids = subject_ids
    if ids is None:
        ids = list(
            session.scalars(select(EvaluationResult.subject_id).where(EvaluationResult.run_id == run_id))
        )
    inputs = _inputs(session, [spec], run.as_of, subject_ids=ids, snapshot_at=run.snapshot_at)
    rows = _decode(compiled_for(spec, run.as_of), eng.run_duckdb(compiled_for(spec, run.as_of), inputs))
    return [_subject_result(spec, r, run_id=None, as_of=run.as_of, snapshot_at=run.snapshot_at) for r in rows]
