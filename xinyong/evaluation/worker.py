"""The evaluation consumer inside ``xinyong serve``: a small background task that re-evaluates
the subjects new events name, every ``settings.evaluation_poll_seconds`` (0 = off; the test
suite turns it off). It keeps "record submitted → new grade visible" within about a second."""

from __future__ import annotations

import logging

from xinyong.core.background import PeriodicJob, periodic_lifespan
from xinyong.core.db import Database
from xinyong.core.events import drain
from xinyong.core.settings import get_settings
from xinyong.evaluation import service

log = logging.getLogger("xinyong.evaluation.worker")


def run_once(db: Database) -> int:
    """Consume pending events, one short transaction per batch; returns how many."""

    with db.session() as session:
        return drain(session, service.process_events)


lifespan = periodic_lifespan(
    PeriodicJob(
        name="xinyong-evaluation",
        interval=lambda: get_settings().evaluation_poll_seconds,
        run_once=run_once,
        log=log,
        failure="evaluation consumer failed",
        log_line=lambda consumed: f"evaluation: {consumed} events consumed" if consumed else None,
    )
)
