"""The repairs job: carry out granted repairs (end publicity, leave lists, announce), then escalate overdue steps. ``xinyong tick`` runs it in the daily job; inside ``xinyong serve`` it
runs in the background every ``settings.tick_interval_seconds`` (0 = off). Idempotent."""

from __future__ import annotations

import logging
from datetime import date

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.core.settings import get_settings
from xinyong.repairs import service

log = logging.getLogger("xinyong.repairs.worker")


def run_once(db: Database, today: date | None = None) -> tuple[int, int]:
    today = today or today_china()
    with db.session() as session:
        applied, escalated = service.tick(session, today)
        session.commit()
    return (applied, escalated)


def _log_line(result: tuple[int, int]) -> str | None:
    if not any(result):
        return None
    return f"repairs: {result[0]} granted repairs carried out, {result[1]} overdue steps escalated"


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-repairs",
        interval=lambda: get_settings().tick_interval_seconds,
        run_once=lambda db: run_once(db),
        log=log,
        failure="repairs job failed",
        log_line=_log_line,
    )
)
