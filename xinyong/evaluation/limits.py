"""What keeps evaluation from filling the store: one run at a time per model, a minimum interval
between runs started through the API, and retention of old runs' per-subject intermediates.

Each batch run stores one result row per subject with its dimensions, points, features, cited
record ids and reasons (about 1 KB a subject). Those explain the newest grades; for older runs the
grade history (grade, score, veto, cap) is what anyone reads, so their intermediates are emptied
once ``evaluation_keep_detailed_runs`` newer runs of the same model exist.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from xinyong.core.errors import Conflict, RateLimited
from xinyong.core.settings import get_settings
from xinyong.evaluation.models import EvaluationResult, EvaluationRun

# Marks a run whose intermediates were emptied (so retention never rewrites it twice).
PRUNED_NOTE = "[retention] per-subject details dropped"

_running: set[str] = set()
_running_lock = threading.Lock()
_admitted: dict[str, float] = {}


@contextmanager
def one_run_per_model(model_codes: Iterable[str]) -> Iterator[None]:
    """Hold the models for the length of a run; a second run of one of them is refused (409)."""
    codes = set(model_codes)
    with _running_lock:
        busy = sorted(codes & _running)
        if busy:
            raise Conflict(
                f"An evaluation run of {', '.join(busy)} is in progress",
                "该评价模型正在运行一次评价，请待其完成后再试",
                code="evaluation.run_in_progress",
                field="model",
                value=busy,
            )
        _running.update(codes)
    try:
        yield
    finally:
        with _running_lock:
            _running.difference_update(codes)


def admit_run(session: Session, key: str, *, kinds: tuple[str, ...] = ("batch", "draft")) -> None:
    """Refuse (429) an API-started run sooner than the configured interval after the last one,
    counting the runs this process admitted and those the store holds (other processes)."""
    interval = get_settings().evaluation_run_min_interval_seconds
    if interval <= 0:
        return
    now = time.monotonic()
    last_stored = session.scalar(
        select(func.max(EvaluationRun.started_at)).where(EvaluationRun.kind.in_(kinds))
    )
    since_stored = math.inf
    if last_stored is not None:
        aware = last_stored if last_stored.tzinfo else last_stored.replace(tzinfo=UTC)
        since_stored = (datetime.now(UTC) - aware).total_seconds()
    with _running_lock:
        since_admitted = now - _admitted.get(key, -math.inf)
        wait = interval - min(since_stored, since_admitted)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                f"An evaluation run was started less than {interval:g} s ago; retry in {seconds} s",
                f"评价运行过于频繁：两次运行至少间隔 {interval:g} 秒，请 {seconds} 秒后再试",
                code="evaluation.rate_limited",
                rule="evaluation_run_min_interval_seconds",
                retry_after=seconds,
            )
        _admitted[key] = now


def reset_admissions() -> None:
    """Forget the runs this process admitted (tests)."""
    with _running_lock:
        _admitted.clear()


def prune_old_runs(session: Session, model_id: int) -> int:
    """Empty the per-subject intermediates of the model's runs older than the newest
    ``evaluation_keep_detailed_runs``; grade, score, veto and cap stay. Returns runs pruned."""
    keep = max(1, get_settings().evaluation_keep_detailed_runs)
    old = session.scalars(
        select(EvaluationRun.id)
        .where(EvaluationRun.model_id == model_id, EvaluationRun.note != PRUNED_NOTE)
        .order_by(EvaluationRun.id.desc())
        .offset(keep)
    ).all()
    # Runs already pruned are skipped by their note; the newest `keep` stay whatever their note.
    kept = set(
        session.scalars(
            select(EvaluationRun.id)
            .where(EvaluationRun.model_id == model_id)
            .order_by(EvaluationRun.id.desc())
            .limit(keep)
        ).all()
    )
    old = [i for i in old if i not in kept]
    if not old:
        return 0
    session.execute(
        update(EvaluationResult)
        .where(EvaluationResult.run_id.in_(old))
        .values(dimensions={}, points={}, features={}, cites={}, reasons=[])
    )
    session.execute(update(EvaluationRun).where(EvaluationRun.id.in_(old)).values(note=PRUNED_NOTE))
    return len(old)
