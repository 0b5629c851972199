"""The checkpoint job inside ``xinyong serve``: every ``settings.checkpoint_interval_minutes``
(default 5; 0 = off) it seals the query log and signs a ledger checkpoint over every entry not
yet covered, so the public checkpoint list (``/api/v1/ledger/checkpoints``) that mirrors fetch
never lags the store by more than the interval."""

from __future__ import annotations

import logging

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.settings import get_settings
from xinyong.jobs.integrity import checkpoint_now

log = logging.getLogger("xinyong.jobs.checkpoint_worker")


def _log_line(made: int) -> str | None:
    return f"ledger: {made} checkpoint(s) signed" if made else None


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-ledger",
        interval=lambda: get_settings().checkpoint_interval_minutes * 60,
        run_once=checkpoint_now,
        log=log,
        failure="signing a ledger checkpoint failed",
        log_line=_log_line,
    )
)
