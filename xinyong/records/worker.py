"""The daily tick inside ``xinyong serve``: a small background task started by the app's
lifespan. ``settings.tick_interval_seconds`` = 0 turns it off (the test suite does)."""

from __future__ import annotations

import logging
from datetime import date

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database
from xinyong.core.settings import get_settings

log = logging.getLogger("xinyong.records.worker")


def run_once(db: Database, today: date | None = None) -> tuple[int, int]:
    """End expired publicity, then bring credit states up to date: (ended, events consumed).
    Two transactions, so the consumer starts without holding the tick's row locks."""
    from xinyong.records import service

    today = today or service.today_china()
    with db.session() as session:
        ended = service.tick(session, today)
    with db.session() as session:
        consumed = service.process_events(session)
    return ended, consumed


def _log_line(result: tuple[int, int]) -> str | None:
    ended, consumed = result
    if not (ended or consumed):
        return None
    return f"tick: {ended} records ended publicity, {consumed} events consumed"


# Start the periodic tick when the app starts (if enabled) and stop it on shutdown.
lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-records",
        interval=lambda: get_settings().tick_interval_seconds,
        run_once=lambda db: run_once(db),
        log=log,
        failure="tick failed",
        log_line=_log_line,
    )
)
