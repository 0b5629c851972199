"""The daily tick inside ``xinyong serve``: a small background task started by the app's
lifespan. ``settings.tick_interval_seconds`` = 0 turns it off (the test suite does).

It ends expired publicity (``records.store.tick``, a fact) and then brings the credit states
up to date (``consumer.process_events``): the step above the records runs both, in that order."""

from __future__ import annotations

import logging
from datetime import date

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database
from xinyong.core.events import drain
from xinyong.core.settings import get_settings
from xinyong.creditstate import consumer
from xinyong.records import service as records_service
from xinyong.records import store as records_store

log = logging.getLogger("xinyong.creditstate.worker")


def run_once(db: Database, today: date | None = None) -> tuple[int, int]:
    """End expired publicity, then bring credit states up to date: (ended, events consumed).
    Two transactions, so the consumer starts without holding the tick's row locks."""
    today = today or records_service.today_china()
    with db.session() as session:
        ended = records_store.tick(session, today)
    with db.session() as session:
        consumed = drain(session, consumer.process_events)  # one short transaction per batch
    return ended, consumed


def _log_line(result: tuple[int, int]) -> str | None:
    ended, consumed = result
    if not (ended or consumed):
        return None
    return f"tick: {ended} records ended publicity, {consumed} events consumed"


# Start the periodic tick when the app starts (if enabled) and stop it on shutdown.
lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-creditstate",
        interval=lambda: get_settings().tick_interval_seconds,
        run_once=lambda db: run_once(db),
        log=log,
        failure="tick failed",
        log_line=_log_line,
    )
)
