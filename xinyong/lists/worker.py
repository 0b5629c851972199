"""The lists jobs: the outbox consumer (automatic proposals, memberships) and the daily tick
(period ends, escalations, deadlines). ``xinyong lists tick`` runs them once; inside
``xinyong serve`` they run in the background every ``settings.tick_interval_seconds`` (the same
knob as the records tick; 0 = off)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

from fastapi import FastAPI

from xinyong.core.db import Database
from xinyong.core.settings import get_settings

log = logging.getLogger("xinyong.lists.worker")


@dataclass
class RunResult:
    consumed: int
    exited: int
    escalated: int
    deadlines_refreshed: int


def run_once(db: Database, today: date | None = None) -> RunResult:
    """Consume pending events, run the tick for ``today``, then consume the events the tick
    wrote (each in its own transaction)."""
    from xinyong.lists import service

    today = today or service.today_china()
    with db.session() as session:
        consumed = service.process_events(session)
    with db.session() as session:
        tick = service.tick(session, today)
    with db.session() as session:
        consumed += service.process_events(session)
    return RunResult(consumed, tick.exited, tick.escalated, tick.deadlines_refreshed)


async def _loop(db: Database, interval: int) -> None:
    while True:
        try:
            result = await asyncio.to_thread(run_once, db)
            if result.consumed or result.exited or result.escalated:
                log.info(
                    "lists: %d events consumed, %d listings ended, %d escalations proposed",
                    result.consumed,
                    result.exited,
                    result.escalated,
                )
        except Exception:  # keep serving; the next run retries (every step is idempotent)
            log.exception("lists job failed")
        await asyncio.sleep(interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    interval = get_settings().tick_interval_seconds
    task: asyncio.Task[None] | None = None
    if interval > 0:
        task = asyncio.create_task(_loop(app.state.db, interval), name="xinyong-lists")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
