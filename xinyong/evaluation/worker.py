"""The evaluation consumer inside ``xinyong serve``: a small background task that re-evaluates
the subjects new events name, every ``settings.evaluation_poll_seconds`` (0 = off; the test
suite turns it off). It keeps "record submitted → new grade visible" within about a second."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from xinyong.core.db import Database
from xinyong.core.settings import get_settings

log = logging.getLogger("xinyong.evaluation.worker")


def run_once(db: Database) -> int:
    """Consume pending events once (one transaction); returns how many."""
    from xinyong.evaluation import service

    with db.session() as session:
        return service.process_events(session)


async def _loop(db: Database, interval: float) -> None:
    while True:
        try:
            consumed = await asyncio.to_thread(run_once, db)
            if consumed:
                log.info("evaluation: %d events consumed", consumed)
        except Exception:  # keep serving; the next round retries (the consumer is idempotent)
            log.exception("evaluation consumer failed")
        await asyncio.sleep(interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = get_settings().evaluation_poll_seconds
    task: asyncio.Task[None] | None = None
    if interval > 0:
        task = asyncio.create_task(_loop(app.state.db, interval), name="xinyong-evaluation")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
