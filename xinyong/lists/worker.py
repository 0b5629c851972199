"""The lists jobs: the outbox consumer (automatic proposals, memberships) and the daily tick
(period ends, escalations, deadlines). ``xinyong lists tick`` runs them once; inside
``xinyong serve`` they run in the background every ``settings.tick_interval_seconds`` (the same
knob as the records tick; 0 = off)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database
from xinyong.core.events import drain
from xinyong.core.settings import get_settings
from xinyong.lists import service

log = logging.getLogger("xinyong.lists.worker")


@dataclass
class RunResult:
    consumed: int
    exited: int
    escalated: int
    deadlines_refreshed: int


def run_once(db: Database, today: date | None = None) -> RunResult:
    """Consume pending events, run the tick for ``today``, then consume the events the tick
    wrote (each in its own transaction)."""

    today = today or service.today_china()
    with db.session() as session:  # one short transaction per batch of events
        consumed = drain(session, service.process_events)
    with db.session() as session:
        tick = service.tick(session, today)
    with db.session() as session:
        consumed += drain(session, service.process_events)
    return RunResult(consumed, tick.exited, tick.escalated, tick.deadlines_refreshed)


def _log_line(result: RunResult) -> str | None:
    if not (result.consumed or result.exited or result.escalated):
        return None
    return (
        f"lists: {result.consumed} events consumed, {result.exited} listings ended, "
        f"{result.escalated} escalations proposed"
    )


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-lists",
        interval=lambda: get_settings().tick_interval_seconds,
        run_once=lambda db: run_once(db),
        log=log,
        failure="lists job failed",
        log_line=_log_line,
    )
)
