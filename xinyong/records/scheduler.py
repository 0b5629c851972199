"""The daily tick inside ``xinyong serve``: a small background task started by the app's
lifespan. ``settings.tick_interval_seconds`` = 0 turns it off (the test suite does)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from fastapi import FastAPI

from xinyong.core.db import Database
from xinyong.core.settings import get_settings

log = logging.getLogger("xinyong.records.scheduler")


def run_once(db: Database, today: date | None = None) -> tuple[int, int]:
    """End expired publicity, then bring credit states up to date: (ended, events consumed).
    Two transactions, so the consumer starts without holding the tick's row locks."""
    from xinyong.records import service

    today = today or service.today_china()
    with db.session() as session:
        ended = service.tick(session, today)
    with db.session() as session:
        consumed = service.process_events(session)
    return ended, consumed


async def _loop(db: Database, interval: int) -> None:
    while True:
        try:
            ended, consumed = await asyncio.to_thread(run_once, db)
            if ended or consumed:
                log.info("tick: %d records ended publicity, %d events consumed", ended, consumed)
        except Exception:  # keep serving; the next run retries (tick is idempotent)
            log.exception("tick failed")
        await asyncio.sleep(interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the periodic tick when the app starts (if enabled) and stop it on shutdown."""
    interval = get_settings().tick_interval_seconds
    task: asyncio.Task[None] | None = None
    if interval > 0:
        task = asyncio.create_task(_loop(app.state.db, interval), name="xinyong-tick")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
