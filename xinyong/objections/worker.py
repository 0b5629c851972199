"""The objections job: escalate overdue steps (督办). ``xinyong tick`` runs it in the daily job; inside ``xinyong serve`` it
runs in the background every ``settings.tick_interval_seconds`` (0 = off). Idempotent."""

from __future__ import annotations

import logging
from datetime import date

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.core.settings import get_settings
from xinyong.objections import service

log = logging.getLogger("xinyong.objections.worker")


def run_once(db: Database, today: date | None = None) -> int:
    today = today or today_china()
    with db.session() as session:
        escalated = service.tick(session, today)
        session.commit()
    return escalated


def _log_line(result: int) -> str | None:
    if not result:
        return None
    return f"objections: {result} overdue steps escalated"


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-objections",
        interval=lambda: get_settings().tick_interval_seconds,
        run_once=lambda db: run_once(db),
        log=log,
        failure="objections job failed",
        log_line=_log_line,
    )
)
