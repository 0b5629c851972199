"""The push delivery worker inside ``xinyong serve``: every ``settings.push_poll_seconds`` it
fans new outbox events out to subscriptions and sends what is due (0 = off; the test suite
turns it off). ``xinyong push run`` does the same from the command line."""

from __future__ import annotations

import logging

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database
from xinyong.core.settings import get_settings
from xinyong.measures import push

log = logging.getLogger("xinyong.measures.worker")


def run_once(db: Database) -> None:
    result = push.run_once(db)
    if result.events_consumed or result.delivered or result.dead:
        log.info(
            "push: %d events, %d new deliveries, %d delivered, %d to retry, %d dead",
            result.events_consumed,
            result.deliveries_created,
            result.delivered,
            result.retried,
            result.dead,
        )


# run_once logs what it did itself.
lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-measures",
        interval=lambda: get_settings().push_poll_seconds,
        run_once=run_once,
        log=log,
        failure="push worker failed",
    )
)
