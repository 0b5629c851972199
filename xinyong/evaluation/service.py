"""Evaluation service: model versions, batch and incremental evaluation, grades, explanations.

Flow (DESIGN.md): record → event → THIS step → credit state row (grade, score, model version,
evaluated_at) → API, push, pages. Only this module writes those columns (through
``creditstate.service.set_evaluations``). Every run stores its model version and data snapshot
time; every model version and every grade change is appended to the ledger in the same
transaction; each grade change also emits ``evaluation.grade_changed``.

Batch: the whole city in one query per model (DuckDB by default, Spark on request).
Incremental: the outbox consumer ``evaluation`` re-evaluates only the subjects its events name,
with the same compiled query on DuckDB over just their rows.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import add_months
from xinyong.core.errors import Conflict, InvalidInput, NotFound
from xinyong.core.events import Event, pending, wait_for_writers
from xinyong.core.settings import get_settings
from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import engine as eng
from xinyong.evaluation import features as F
from xinyong.evaluation.model import (
    Cap,
    Compiled,
    ModelError,
    ModelSpec,
    Veto,
    compile_model,
    load_model_file,
    max_points,
    parse_model,
    points_for,
)
from xinyong.evaluation.models import EvaluationModel, EvaluationResult, EvaluationRun
from xinyong.evaluation.schemas import (
    Backtest,
    DraftPreview,
    GradeShare,
    HistoryEntry,
    ModelDetail,
    ModelInfo,
    PsiRow,
    Reason,
    RecordWhatIf,
    RunInfo,
    RunReport,
    SubjectResult,
    TimelinePoint,
    WhatIf,
)
from xinyong.ledger import service as ledger
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

log = logging.getLogger("xinyong.evaluation")

CONSUMER = "evaluation"
GRADE_CHANGED = "evaluation.grade_changed"
# Statement batch sizes (memory and IN-list bounds; operational knobs, not rules).
_CHUNK = 2000
_NEGATIVE_ITEMS_POLARITY = "negative"
# The query-log item code of a read of a subject's evaluation (grade, score, reasons, history):
# derived information, not a catalog item; the cited records' items are logged beside it.
EVALUATION_ITEM = "evaluation"

__all__ = [
    "CONSUMER",
    "GRADE_CHANGED",
    "backtest",
    "create_draft",
    "evaluate_subjects",
    "explain",
    "get_model",
    "get_model_files",
    "get_run",
    "history",
    "items_returned",
    "list_models",
    "list_runs",
    "load_model_files",
    "preview_draft",
    "process_events",
    "reproduce",
    "reset_model_files_cache",
    "run_batch",
    "run_report",
    "subject_under_model",
    "sync_models",
    "whatif",
]


# =============================================================================================
# Models


def models_dir() -> Path:
    return Path(get_settings().ruleset_dir) / "models"


def load_model_files(directory: Path) -> list[ModelSpec]:
    """Load and validate every model file under ``directory`` (``ModelError`` on the first
    problem): the files one by one, then the set (one model per subject kind at a time)."""
    catalog = catalog_service.get_catalog()
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise ModelError(
            f"No model files under {directory}",
            f"目录 {directory} 下没有评价模型文件",
            rule="file_missing",
            where=str(directory),
        )
    specs = [load_model_file(p, catalog) for p in files]
    seen: dict[tuple[str, str], str] = {}
    starts: dict[tuple[str, date], str] = {}
    for spec, path in zip(specs, files, strict=True):
        key = (spec.code, spec.version)
        if key in seen:
            raise ModelError(
                f"Model {spec.code} version {spec.version} is defined twice ({seen[key]}, {path.name})",
                f"评价模型 {spec.code} 的版本 {spec.version} 重复定义（{seen[key]}、{path.name}）",
                rule="duplicate_version",
                where=path.name,
            )
        seen[key] = path.name
        for kind in spec.subject_kinds:
            other = starts.get((kind, spec.effective_from))
            if other is not None and other != spec.code:
                raise ModelError(
                    f"Models {other} and {spec.code} both start on {spec.effective_from} for {kind}",
                    f"评价模型 {other} 与 {spec.code} 在 {spec.effective_from} 同时适用于 {kind}",
                    rule="overlapping_models",
                    where=path.name,
                )
            starts[(kind, spec.effective_from)] = spec.code
    return specs


_models_lock = threading.Lock()
_models_cache: dict[tuple[str, tuple[tuple[str, float], ...]], list[tuple[ModelSpec, str]]] = {}


def get_model_files() -> list[tuple[ModelSpec, str]]:
    """The ruleset's model files (validated), with their file names; re-read when a file changes."""
    directory = models_dir()
    files = sorted(directory.glob("*.yaml"))
    key = (str(directory), tuple((p.name, p.stat().st_mtime) for p in files))
    with _models_lock:
        hit = _models_cache.get(key)
        if hit is None:
            specs = load_model_files(directory)
            hit = [(s, p.name) for s, p in zip(specs, files, strict=True)]
            _models_cache.clear()
            _models_cache[key] = hit
        return hit


def reset_model_files_cache() -> None:
    """Forget the loaded model files (the next ``get_model_files`` reads them again)."""
    with _models_lock:
        _models_cache.clear()


def models_in_force(as_of: date) -> list[ModelSpec]:
    """For each subject kind, the published model version in force on ``as_of`` (the latest
    ``effective_from`` not after it); one entry per model version."""
    best: dict[str, ModelSpec] = {}
    for spec, _ in get_model_files():
        if spec.effective_from > as_of:
            continue
        for kind in spec.subject_kinds:
            cur = best.get(kind)
            if cur is None or spec.effective_from > cur.effective_from:
                best[kind] = spec
    out: dict[tuple[str, str], ModelSpec] = {}
    for spec in best.values():
        out[(spec.code, spec.version)] = spec
    return list(out.values())


def _model_info(row: EvaluationModel) -> ModelInfo:
    content = row.content or {}
    return ModelInfo(
        id=row.id,
        code=row.code,
        version=row.version,
        status=row.status,
        name_zh=str(content.get("name_zh", "")),
        subject_kinds=list(content.get("subject_kinds", [])),
        effective_from=row.effective_from,
        content_hash=row.content_hash,
        source_file=row.source_file,
        created_at=row.created_at,
    )


def sync_models(session: Session) -> list[ModelInfo]:
    """Register the ruleset's model versions in the store. A new version is stored and appended
    to the ledger (``evaluation.model``); an existing version whose content changed is refused:
    a model change needs a new version, so past grades stay reproducible."""
    out = []
    for spec, filename in get_model_files():
        out.append(_model_info(_register(session, spec, "published", filename)))
    return out


def _register(
    session: Session,
    spec: ModelSpec,
    status: str,
    source_file: str | None,
    created_by: str | None = None,
    note: str = "",
) -> EvaluationModel:
    digest = spec.content_hash()
    row = session.scalar(
        select(EvaluationModel).where(
            EvaluationModel.code == spec.code, EvaluationModel.version == spec.version
        )
    )
    if row is not None:
        if row.content_hash != digest or row.status != status:
            raise Conflict(
                f"Model {spec.code} version {spec.version} already exists with other content: give the change a new version",
                f"评价模型 {spec.code} 的版本 {spec.version} 已存在且内容不同：修改模型须使用新的版本号",
                code="evaluation.model_version_exists",
                model=spec.code,
                version=spec.version,
            )
        return row
    row = EvaluationModel(
        code=spec.code,
        version=spec.version,
        status=status,
        effective_from=spec.effective_from,
        content=spec.model_dump(mode="json"),
        content_hash=digest,
        source_file=source_file,
        created_by=created_by,
        note=note,
    )
    session.add(row)
    session.flush()
    ledger.append(
        session,
        "evaluation.model",
        f"evaluation_model:{spec.code}/{spec.version}",
        {
            "model": spec.code,
            "version": spec.version,
            "status": status,
            "effective_from": spec.effective_from.isoformat(),
            "content_hash": digest,
            "source_file": source_file,
            "created_by": created_by,
        },
    )
    return row


def _spec_of(row: EvaluationModel) -> ModelSpec:
    return ModelSpec.model_validate(row.content)


def list_models(session: Session, status: str | None = None) -> list[ModelInfo]:
    sync_models(session)
    stmt = select(EvaluationModel).order_by(
        EvaluationModel.code, EvaluationModel.effective_from, EvaluationModel.id
    )
    if status:
        stmt = stmt.where(EvaluationModel.status == status)
    return [_model_info(r) for r in session.scalars(stmt)]


def _stored_model(session: Session, model_id: int) -> EvaluationModel:
    """A stored model version by id (published or draft); a 404 when there is none."""
    row = session.get(EvaluationModel, model_id)
    if row is None:
        raise NotFound(
            f"Evaluation model {model_id} not found",
            f"未找到评价模型 {model_id}",
            code="evaluation.model_not_found",
        )
    return row


def get_model(session: Session, model_id: int) -> ModelDetail:
    row = _stored_model(session, model_id)
    return ModelDetail(**_model_info(row).model_dump(), content=row.content)


def create_draft(
    session: Session,
    *,
    content: dict[str, Any] | None = None,
    yaml_text: str | None = None,
    created_by: str | None = None,
    note: str = "",
) -> ModelInfo:
    """Store a draft model (staff) after validating it like a model file. It grades nobody
    until a city publishes it by putting the file in its ruleset."""
    if yaml_text is not None:
        try:
            content = yaml.safe_load(yaml_text)
        except yaml.YAMLError as exc:
            raise ModelError(
                f"Draft is not valid YAML: {exc}", f"草稿不是有效的 YAML：{exc}", rule="yaml_syntax"
            ) from exc
    if not isinstance(content, dict):
        raise ModelError("A draft needs the model's content", "草稿须包含模型内容", rule="schema")
    spec = parse_model(content, "(draft)", catalog_service.get_catalog())
    row = _register(session, spec, "draft", None, created_by, note)
    return _model_info(row)


# =============================================================================================
# Running


_compiled_lock = threading.Lock()
_compiled: dict[tuple[str, date], Compiled] = {}


def compiled_for(spec: ModelSpec, as_of: date) -> Compiled:
    key = (spec.content_hash(), as_of)
    with _compiled_lock:
        hit = _compiled.get(key)
        if hit is None:
            if len(_compiled) > 64:
                _compiled.clear()
            hit = _compiled[key] = compile_model(spec, as_of)
        return hit


def _today() -> date:
    return records_service.today_china()


def _inputs(
    session: Session,
    specs: Sequence[ModelSpec],
    as_of: date,
    subject_ids: Sequence[int] | None = None,
    snapshot_at: datetime | None = None,
) -> eng.Inputs:
    items: set[str] = set()
    facts: set[tuple[str, str]] = set()
    kinds: set[str] = set()
    for spec in specs:
        items |= spec.items()
        facts |= spec.facts()
        kinds |= set(spec.subject_kinds)
    return eng.load_inputs(
        session,
        as_of=as_of,
        items=items,
        facts=facts,
        kinds=kinds,
        subject_ids=subject_ids,
        snapshot_at=snapshot_at,
    )


@dataclass
class _Row:
    """One result row, decoded from the engine's output."""

    subject_id: int
    score: Decimal
    grade: str
    score_grade: str
    veto: str | None
    cap: str | None
    dimensions: dict[str, str]
    points: dict[str, str]
    features: dict[str, str]
    cites: dict[str, list[int]]
    reasons: list[dict[str, Any]]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


def _cites(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, list):
        return [int(v) for v in value if v is not None]
    return [int(value)]


def _decode(compiled: Compiled, table: pa.Table) -> list[_Row]:
    """Turn the engine's output into result rows with their reason codes."""
    spec = compiled.spec
    neutral = {i.code: points_for(i.scoring, F.FEATURES[i.feature].default) for _, i in spec.indicators()}
    maximum = {i.code: max_points(i.scoring) for _, i in spec.indicators()}
    names = {f"i__{i.code}": i.code for _, i in spec.indicators()}
    names |= {f"v__{v.code}": f"veto:{v.code}" for v in spec.vetoes}
    names |= {f"k__{c.code}": f"cap:{c.code}" for c in spec.caps}
    rows = []
    for r in table.to_pylist():
        points = {i.code: Decimal(r[f"p__{i.code}"]) for _, i in spec.indicators()}
        cites = {names[column]: ids for column, ids in compiled.cites(r).items()}
        feats = {i.code: _text(r[f"f_i__{i.code}"]) for _, i in spec.indicators()}
        reasons = _reasons(spec, points, neutral, maximum, feats, cites, r.get("veto"), r.get("binding_cap"))
        rows.append(
            _Row(
                subject_id=int(r["subject_id"]),
                score=Decimal(r["total"]),
                grade=r["grade"],
                score_grade=r["score_grade"],
                veto=r.get("veto"),
                cap=r.get("binding_cap"),
                dimensions={d.code: _text(Decimal(r[f"d__{d.code}"])) for d in spec.dimensions},
                points={k: _text(v) for k, v in points.items()},
                features=feats,
                cites=cites,
                reasons=reasons,
            )
        )
    return rows


def _rule_reason(kind: str, rule: Veto | Cap, cites: dict[str, list[int]]) -> dict[str, Any]:
    """The reason a veto or binding cap gives (``kind`` is "veto" or "cap", also the prefix of
    its citations)."""
    return {
        "kind": kind,
        "code": rule.code,
        "name_zh": rule.name_zh,
        "record_ids": cites.get(f"{kind}:{rule.code}", []),
        "rule_zh": rule.rule_zh,
        "source": rule.source,
    }


def _reasons(
    spec: ModelSpec,
    points: dict[str, Decimal],
    neutral: dict[str, Decimal],
    maximum: dict[str, Decimal],
    feats: dict[str, str],
    cites: dict[str, list[int]],
    veto: str | None,
    cap: str | None,
) -> list[dict[str, Any]]:
    """Veto and binding cap first, then the indicators that cost the most points (below their
    maximum) and those that gained the most (above a subject with nothing on file),
    ``explain_top`` of each, with the records they rest on and the rule text."""
    out: list[dict[str, Any]] = []
    if veto:
        out.append(_rule_reason("veto", next(x for x in spec.vetoes if x.code == veto), cites))
    if cap:
        out.append(_rule_reason("cap", next(x for x in spec.caps if x.code == cap), cites))
    # Cost: points below what the indicator can give at most ("扣分/失分项"); gain: points above
    # what a subject with nothing on file gets ("加分项").
    scale = Decimal(spec.scale)
    costs, gains = [], []
    for d, i in spec.indicators():
        factor = scale * d.weight * i.weight / 100
        lost = (factor * (points[i.code] - maximum[i.code])).quantize(Decimal("0.01"))
        won = (factor * (points[i.code] - neutral[i.code])).quantize(Decimal("0.01"))
        if lost < 0:
            costs.append((lost, d, i))
        if won > 0:
            gains.append((won, d, i))
    costs = sorted(costs, key=lambda x: (x[0], x[2].code))[: spec.explain_top]
    gains = sorted(gains, key=lambda x: (-x[0], x[2].code))[: spec.explain_top]
    for delta, d, i in [*costs, *gains]:
        out.append(
            {
                "kind": "cost" if delta < 0 else "gain",
                "code": i.code,
                "name_zh": i.name_zh,
                "dimension": d.code,
                "points": str(delta),
                "value": feats[i.code],
                "record_ids": cites.get(i.code, []),
                "rule_zh": i.rule_zh,
                "source": i.source,
            }
        )
    return out


def _fact_map(spec: ModelSpec) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item, fld in sorted(spec.facts()):
        out.setdefault(item, []).append(fld)
    return out


def _digest(rows: Iterable[_Row]) -> str:
    h = hashlib.sha256()
    for r in sorted(rows, key=lambda x: x.subject_id):
        h.update(f"{r.subject_id}|{r.score}|{r.grade}\n".encode())
    return h.hexdigest()


def _model_row(session: Session, spec: ModelSpec, status: str = "published") -> EvaluationModel:
    row = session.scalar(
        select(EvaluationModel).where(
            EvaluationModel.code == spec.code, EvaluationModel.version == spec.version
        )
    )
    if row is None:
        filename = next(
            (f for s, f in get_model_files() if s.code == spec.code and s.version == spec.version), None
        )
        row = _register(session, spec, status, filename)
    return row


def _store_run(
    session: Session,
    spec: ModelSpec,
    rows: list[_Row],
    *,
    kind: str,
    engine_name: str,
    as_of: date,
    snapshot_at: datetime,
    started_at: datetime,
    update_state: bool,
    note: str = "",
    model_row: EvaluationModel | None = None,
) -> EvaluationRun:
    model_row = model_row or _model_row(session, spec)
    counts = Counter(r.grade for r in rows)
    run = EvaluationRun(
        model_id=model_row.id,
        model_code=spec.code,
        model_version=spec.version,
        kind=kind,
        engine=engine_name,
        as_of=as_of,
        snapshot_at=snapshot_at,
        started_at=started_at,
        subjects=len(rows),
        changed=0,
        grade_counts={g: counts.get(g, 0) for g in spec.grade_codes()},
        results_digest=_digest(rows),
        note=note,
    )
    session.add(run)
    session.flush()
    for start in range(0, len(rows), _CHUNK):
        session.execute(
            insert(EvaluationResult),
            [
                {
                    "run_id": run.id,
                    "subject_id": r.subject_id,
                    "score": r.score,
                    "grade": r.grade,
                    "score_grade": r.score_grade,
                    "veto": r.veto,
                    "cap": r.cap,
                    "dimensions": r.dimensions,
                    "points": r.points,
                    "features": r.features,
                    "cites": r.cites,
                    "reasons": r.reasons,
                }
                for r in rows[start : start + _CHUNK]
            ],
        )
    if update_state:
        run.changed = _update_states(session, spec, run, rows)
    run.finished_at = datetime.now(UTC)
    ledger.append(
        session,
        "evaluation.run",
        f"evaluation_run:{run.id}",
        {
            "run_id": run.id,
            "model": spec.code,
            "version": spec.version,
            "model_hash": model_row.content_hash,
            "kind": kind,
            "engine": engine_name,
            "as_of": as_of.isoformat(),
            "snapshot_at": snapshot_at.isoformat(),
            "subjects": len(rows),
            "grade_counts": run.grade_counts,
            "results_digest": run.results_digest,
        },
    )
    session.flush()
    return run


def _update_states(session: Session, spec: ModelSpec, run: EvaluationRun, rows: list[_Row]) -> int:
    """Write the grade columns of the state rows; each grade change is an event and a ledger
    entry in the same transaction. Returns how many grades changed."""
    now = datetime.now(UTC)
    previous = creditstate_service.evaluation_states(session, [r.subject_id for r in rows])
    changed = [r for r in rows if previous.get(r.subject_id, (None, None))[0] != r.grade]
    creditstate_service.set_evaluations(
        session,
        [
            creditstate_service.EvaluationState(r.subject_id, r.grade, r.score, spec.code, spec.version, now)
            for r in rows
        ],
    )
    events = []
    entries = []
    for r in changed:
        before = previous.get(r.subject_id, (None, None))
        payload = {
            "subject_id": r.subject_id,
            "from_grade": before[0],
            "to_grade": r.grade,
            "from_score": str(before[1]) if before[1] is not None else None,
            "score": str(r.score),
            "model": spec.code,
            "version": spec.version,
            "run_id": run.id,
            "veto": r.veto,
            "cap": r.cap,
        }
        events.append(
            {
                "type": GRADE_CHANGED,
                "subject_id": r.subject_id,
                "record_id": None,
                "payload": payload,
                "created_at": now,
            }
        )
        entries.append(("evaluation.grade", f"subject:{r.subject_id}", payload))
    for start in range(0, len(events), _CHUNK):
        session.execute(insert(Event), events[start : start + _CHUNK])
    if entries:
        ledger.append_many(session, entries)
    return len(changed)


def _run_info(run: EvaluationRun) -> RunInfo:
    return RunInfo(
        id=run.id,
        model_code=run.model_code,
        model_version=run.model_version,
        kind=run.kind,
        engine=run.engine,
        as_of=run.as_of,
        snapshot_at=run.snapshot_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        subjects=run.subjects,
        changed=run.changed,
        grade_counts=dict(run.grade_counts or {}),
        results_digest=run.results_digest,
    )


def run_batch(
    session: Session,
    *,
    engine: str = "duckdb",
    as_of: date | None = None,
    model_codes: Sequence[str] | None = None,
) -> list[RunInfo]:
    """Evaluate every applicable subject with the models in force (one query per model on the
    chosen engine), store the runs and results and update the credit state rows. The caller
    commits."""
    sync_models(session)
    as_of = as_of or _today()
    specs = [s for s in models_in_force(as_of) if model_codes is None or s.code in model_codes]
    started = datetime.now(UTC)
    snapshot_at = started
    inputs = _inputs(session, specs, as_of)
    out = []
    for spec in specs:
        table = eng.run(compiled_for(spec, as_of), inputs, engine)
        rows = _decode(compiled_for(spec, as_of), table)
        run = _store_run(
            session,
            spec,
            rows,
            kind="batch",
            engine_name=engine,
            as_of=as_of,
            snapshot_at=snapshot_at,
            started_at=started,
            update_state=True,
        )
        out.append(_run_info(run))
    return out


def evaluate_subjects(
    session: Session, subject_ids: Iterable[int], *, as_of: date | None = None
) -> list[RunInfo]:
    """Re-evaluate just these subjects (incremental path): the same compiled query on DuckDB over
    their rows only; stores one ``incremental`` run per model and updates their state rows."""
    ids = sorted(set(subject_ids))
    if not ids:
        return []
    as_of = as_of or _today()
    specs = models_in_force(as_of)
    started = datetime.now(UTC)
    inputs = _inputs(session, specs, as_of, subject_ids=ids)
    kinds = set(inputs.subjects["kind"].to_pylist())
    out = []
    for spec in specs:
        if not kinds & set(spec.subject_kinds):
            continue
        rows = _decode(compiled_for(spec, as_of), eng.run_duckdb(compiled_for(spec, as_of), inputs))
        if not rows:
            continue
        run = _store_run(
            session,
            spec,
            rows,
            kind="incremental",
            engine_name="duckdb",
            as_of=as_of,
            snapshot_at=started,
            started_at=started,
            update_state=True,
        )
        out.append(_run_info(run))
    return out


def _subjects_named(ev: Event) -> set[int]:
    ids: set[int] = set()
    if ev.subject_id is not None:
        ids.add(ev.subject_id)
    for key, value in (ev.payload or {}).items():
        if key.endswith("subject_id") and isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
        elif key.endswith("subject_ids") and isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return ids


_RELEVANT = ("record.", "subject.", "list.")


def process_events(session: Session, limit: int = 10_000) -> int:
    """The outbox consumer ``evaluation``: re-evaluate every subject named by record, subject or
    list events since its cursor, in the caller's transaction. Returns events consumed. Call it
    at the start of a transaction; the caller commits."""
    if not wait_for_writers(session):
        return 0
    consumed = 0
    while True:
        cursor, events = pending(session, CONSUMER, limit)
        if not events:
            return consumed
        affected: set[int] = set()
        for ev in events:
            if ev.type.startswith(_RELEVANT):
                affected |= _subjects_named(ev)
        if affected:
            evaluate_subjects(session, affected)
        cursor.last_event_id = events[-1].id
        session.flush()
        consumed += len(events)
        if len(events) < limit:
            return consumed


# =============================================================================================
# Reading: explain, history, reproduce


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


# =============================================================================================
# What-if and drafts


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


# =============================================================================================
# Monitoring


def _distribution(spec: ModelSpec, counts: dict[str, int]) -> list[GradeShare]:
    total = sum(counts.values()) or 1
    return [
        GradeShare(
            grade=g.code,
            label_zh=g.label_zh,
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
