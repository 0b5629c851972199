"""The calendar job inside ``xinyong serve``: a notice loaded in the console takes effect without
waiting for the nightly ``xinyong tick``. Every ``settings.tick_interval_seconds`` (the same knob
as the other background jobs; 0 = off) it recomputes the dates computed on a provisional year."""

from __future__ import annotations

import logging
from datetime import date

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.core.settings import get_settings
from xinyong.jobs import recompute_provisional_dates

log = logging.getLogger("xinyong.jobs.worker")


def run_once(db: Database, today: date | None = None) -> tuple[int, int]:
    """Recompute what was computed on a provisional year: (deadlines moved, verdicts recounted)."""
    return recompute_provisional_dates(db, today or today_china())


def _log_line(result: tuple[int, int]) -> str | None:
    moved, recounted = result
    if not (moved or recounted):
        return None
    return f"calendar: {moved} deadlines recomputed, {recounted} timeliness verdicts recounted after a notice"


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-jobs",
        interval=lambda: get_settings().tick_interval_seconds,
        run_once=lambda db: run_once(db),
        log=log,
        failure="recomputing provisional dates failed",
        log_line=_log_line,
    )
)
