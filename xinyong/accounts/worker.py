"""API keys' last use inside ``xinyong serve``: every ``settings.api_key_last_use_seconds`` the
stamps noted by the requests are written in one short transaction (``key_use.flush``; 0 = off,
as in the test suite)."""

from __future__ import annotations

import logging

from xinyong.accounts import key_use
from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.settings import get_settings

log = logging.getLogger("xinyong.accounts.worker")

run_once = key_use.flush

lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-accounts",
        interval=lambda: get_settings().api_key_last_use_seconds,
        run_once=run_once,
        log=log,
        failure="writing API keys' last use failed",
    )
)
