"""Evaluation runs: batch and incremental evaluation, the grades they write.

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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from xinyong.core.events import BATCH, Event, pending, wait_for_writers
from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import engine as eng
from xinyong.evaluation import features as F
from xinyong.evaluation import limits
from xinyong.evaluation.model import (
    Cap,
    Compiled,
    ModelSpec,
    Veto,
    compile_model,
    max_points,
    points_for,
)
from xinyong.evaluation.models import EvaluationModel, EvaluationResult, EvaluationRun
from xinyong.evaluation.schemas import RunInfo
from xinyong.evaluation.versions import _register, get_model_files, models_in_force, sync_models
from xinyong.ledger import service as ledger
from xinyong.records import service as records_service

log = logging.getLogger("xinyong.evaluation")

CONSUMER = "evaluation"
GRADE_CHANGED = "evaluation.grade_changed"
# Statement batch sizes (memory and IN-list bounds; operational knobs, not rules).
_CHUNK = 2000


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
    limits.prune_old_runs(session, model_row.id)
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
    eng.require_engine(engine)
    sync_models(session)
    as_of = as_of or _today()
    specs = [s for s in models_in_force(as_of) if model_codes is None or s.code in model_codes]
    with limits.one_run_per_model(s.code for s in specs):
        return _run_batch(session, specs, engine=engine, as_of=as_of)


def _run_batch(session: Session, specs: list[ModelSpec], *, engine: str, as_of: date) -> list[RunInfo]:
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


def process_events(session: Session, limit: int = BATCH) -> int:
    """The outbox consumer ``evaluation``: re-evaluate every subject named by one batch of
    record, subject or list events since its cursor, in the caller's transaction. Returns
    events consumed (call again after a commit until 0: catch-up in short transactions). Call
    it at the start of a transaction; the caller commits."""
    if not wait_for_writers(session):
        return 0
    cursor, events = pending(session, CONSUMER, limit)
    if not events:
        return 0
    affected: set[int] = set()
    for ev in events:
        if ev.type.startswith(_RELEVANT):
            affected |= _subjects_named(ev)
    if affected:
        evaluate_subjects(session, affected)
    cursor.last_event_id = events[-1].id
    session.flush()
    return len(events)
