"""Evaluation what-if and drafts: one subject under a model, what each negative record does,
the items an answer returns, a draft model previewed against the published one."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import engine as eng
from xinyong.evaluation.model import ModelSpec
from xinyong.evaluation.monitoring import _distribution
from xinyong.evaluation.reading import _subject_result
from xinyong.evaluation.run import _decode, _inputs, _Row, _run_info, _store_run, _today, compiled_for
from xinyong.evaluation.schemas import (
    DraftPreview,
    RecordWhatIf,
    SubjectResult,
    TimelinePoint,
    WhatIf,
)
from xinyong.evaluation.versions import _model_info, _spec_of, _stored_model, models_in_force
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

_NEGATIVE_ITEMS_POLARITY = "negative"
# The query-log item code of a read of a subject's evaluation (grade, score, reasons, history):
# derived information, not a catalog item; the cited records' items are logged beside it.
EVALUATION_ITEM = "evaluation"


def _spec_for_subject(session: Session, subject_id: int, as_of: date) -> ModelSpec:
    subject = subjects_service.get_subject(session, subject_id)
    for spec in models_in_force(as_of):
        if subject.kind in spec.subject_kinds:
            return spec
    raise InvalidInput(
        f"No evaluation model applies to subjects of kind {subject.kind}",
        f"没有适用于该类主体（{subject.kind}）的评价模型",
        code="evaluation.no_model",
        subject_id=subject_id,
        kind=subject.kind,
    )


def _evaluate_one(spec: ModelSpec, inputs: eng.Inputs, as_of: date, subject_id: int) -> _Row | None:
    rows = _decode(compiled_for(spec, as_of), eng.run_duckdb(compiled_for(spec, as_of), inputs))
    return next((r for r in rows if r.subject_id == subject_id), None)


def _not_applicable(subject_id: int) -> InvalidInput:
    return InvalidInput(
        f"Subject {subject_id} is not evaluated (its kind or registration status is outside the model)",
        "该主体不在评价范围内（主体类型或登记状态不适用）",
        code="evaluation.not_applicable",
        subject_id=subject_id,
    )


def subject_under_model(
    session: Session, subject_id: int, model_id: int, as_of: date | None = None
) -> SubjectResult:
    """What the subject's grade would be under a stored model version (e.g. a draft) today.
    Nothing is stored and no state changes."""
    as_of = as_of or _today()
    row = _stored_model(session, model_id)
    spec = _spec_of(row)
    inputs = _inputs(session, [spec], as_of, subject_ids=[subject_id])
    result = _evaluate_one(spec, inputs, as_of, subject_id)
    if result is None:
        raise _not_applicable(subject_id)
    return _subject_result(spec, result, run_id=None, as_of=as_of, snapshot_at=None)


def whatif(session: Session, subject_id: int, as_of: date | None = None) -> WhatIf:
    """Which negative records, if repaired (or expired) today, would change the grade; on which
    day each publicity window ends by itself; and the grade on each of those days if nothing
    else changes."""

    as_of = as_of or _today()
    spec = _spec_for_subject(session, subject_id, as_of)
    inputs = _inputs(session, [spec], as_of, subject_ids=[subject_id])
    current = _evaluate_one(spec, inputs, as_of, subject_id)
    if current is None:
        raise _not_applicable(subject_id)
    catalog = catalog_service.get_catalog()
    negative = [
        r
        for r in records_service.evaluation_records(
            session, items=sorted(spec.items()), subject_ids=[subject_id]
        )
        if _polarity(catalog, r.item_code) == _NEGATIVE_ITEMS_POLARITY
    ]
    items: list[RecordWhatIf] = []
    for rec in sorted(negative, key=lambda r: (r.publicity_end or date.max, r.record_id)):
        without = _evaluate_one(spec, inputs.without_records([rec.record_id]), as_of, subject_id)
        assert without is not None
        items.append(
            RecordWhatIf(
                record_id=rec.record_id,
                item_code=rec.item_code,
                category=rec.category,
                severity=rec.severity,
                decision_date=rec.decision_date,
                publicity_end=rec.publicity_end,
                ends_on=rec.publicity_end + timedelta(days=1) if rec.publicity_end else None,
                score_without=without.score,
                grade_without=without.grade,
                changes_grade=without.grade != current.grade,
            )
        )
    all_repaired = None
    if negative:
        cleared = _evaluate_one(
            spec, inputs.without_records([r.record_id for r in negative]), as_of, subject_id
        )
        if cleared is not None:
            all_repaired = _subject_result(spec, cleared, run_id=None, as_of=as_of, snapshot_at=None)
    timeline: list[TimelinePoint] = []
    ends = sorted(
        {
            r.publicity_end + timedelta(days=1)
            for r in negative
            if r.publicity_end and r.publicity_end >= as_of
        }
    )
    for day in ends:
        gone = [r.record_id for r in negative if r.publicity_end is not None and r.publicity_end < day]
        future = eng.Inputs(inputs.subjects, inputs.without_records(gone).records, day, None)
        row = _evaluate_one(spec, future, day, subject_id)
        if row is not None:
            timeline.append(TimelinePoint(on=day, score=row.score, grade=row.grade, records_ended=gone))
    return WhatIf(
        subject_id=subject_id,
        current=_subject_result(spec, current, run_id=None, as_of=as_of, snapshot_at=None),
        records=items,
        all_repaired=all_repaired,
        timeline=timeline,
    )


def items_returned(session: Session, answer: SubjectResult | WhatIf | None = None) -> list[str]:
    """What a read of a subject's evaluation returns, as query-log item codes: ``evaluation``
    (the grade, score and history) and the catalog items of the records the answer cites (in its
    reasons and indicator citations, or its what-if rows), sorted."""

    items = {EVALUATION_ITEM}
    results: list[SubjectResult] = []
    if isinstance(answer, WhatIf):
        items.update(r.item_code for r in answer.records)
        results = [answer.current] + ([answer.all_repaired] if answer.all_repaired else [])
    elif answer is not None:
        results = [answer]
    cited: set[int] = set()
    for result in results:
        for ids in result.cites.values():
            cited.update(ids)
        for reason in result.reasons:
            cited.update(reason.record_ids)
    for record_id in sorted(cited):
        try:
            items.add(records_service.get_record(session, record_id).item_code)
        except NotFound:  # a cited record id that no longer resolves cites nothing
            continue
    return sorted(items)


def _polarity(catalog: catalog_service.Catalog, item_code: str) -> str:
    try:
        return catalog.item(item_code).polarity
    except NotFound:
        return "neutral"


def preview_draft(
    session: Session, model_id: int, *, engine: str = "duckdb", as_of: date | None = None
) -> DraftPreview:
    """Evaluate the whole city under a draft model without touching any grade: the draft's
    grade distribution, the published grades of the same subjects and the migration between."""
    eng.require_engine(engine)
    row = _stored_model(session, model_id)
    spec = _spec_of(row)
    as_of = as_of or _today()
    started = datetime.now(UTC)
    inputs = _inputs(session, [spec], as_of)
    rows = _decode(compiled_for(spec, as_of), eng.run(compiled_for(spec, as_of), inputs, engine))
    run = _store_run(
        session,
        spec,
        rows,
        kind="draft",
        engine_name=engine,
        as_of=as_of,
        snapshot_at=started,
        started_at=started,
        update_state=False,
        model_row=row,
    )
    current = creditstate_service.all_evaluation_states(session)
    migration: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    published: Counter[str] = Counter()
    for r in rows:
        before = current.get(r.subject_id, (None, None))[0] or "-"
        published[before] += 1
        migration[before][r.grade] += 1
    return DraftPreview(
        draft=_model_info(row),
        run=_run_info(run),
        distribution=_distribution(spec, run.grade_counts),
        published_counts=dict(published),
        migration={k: dict(v) for k, v in migration.items()},
    )
