"""The push delivery worker inside ``xinyong serve``: every ``settings.push_poll_seconds`` it
fans new outbox events out to subscriptions and sends what is due (0 = off; the test suite
turns it off). ``xinyong push run`` does the same from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from xinyong.core.db import Database
from xinyong.core.settings import get_settings

log = logging.getLogger("xinyong.measures.worker")


def run_once(db: Database) -> None:
    from xinyong.measures import push

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


async def _loop(db: Database, interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(run_once, db)
        except Exception:  # keep serving; the next round retries (deliveries are at-least-once)
            log.exception("push worker failed")
        await asyncio.sleep(interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = get_settings().push_poll_seconds
    task: asyncio.Task[None] | None = None
    if interval > 0:
        task = asyncio.create_task(_loop(app.state.db, interval), name="xinyong-push")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
