"""Crash recovery of submissions inside ``xinyong serve``: when the app starts and then every
``settings.ingest_recovery_seconds`` (0 = off; the test suite turns it off), submissions left
half-applied by a process that died are finished (``recovery.recover``). Each server process runs
it; a submission another live process is applying is left alone (its staged input is locked)."""

from __future__ import annotations

import logging

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database
from xinyong.core.settings import get_settings
from xinyong.ingest.recovery import recover

log = logging.getLogger("xinyong.ingest.worker")


def run_once(db: Database) -> int:
    """Finish interrupted submissions; returns how many."""
    with db.session() as session:
        return len(recover(session))


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-ingest",
        interval=lambda: get_settings().ingest_recovery_seconds,
        run_once=run_once,
        log=log,
        failure="ingest recovery failed",
        log_line=lambda n: f"ingest: {n} interrupted submissions finished" if n else None,
    )
)
