"""Periodic background jobs inside ``xinyong serve``.

Several domains run one small job in the background of the web app (the records tick, the lists
jobs, the evaluation consumer, the push worker). Each is a :class:`PeriodicJob`: a name, a getter
for its interval in seconds (read from the settings when the app starts; 0 turns the job off, as
the test suite does), a ``run_once(db)`` callable that runs in a worker thread, and an optional
log line made from what ``run_once`` returned. :func:`periodic_lifespan` turns a job into a
lifespan context for ``xinyong.app``: it starts the task when the app starts and cancels it on
shutdown.

A run that raises is logged and retried after the next interval (every job's ``run_once`` is
idempotent); the app keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import FastAPI

from xinyong.core.db import Database

T = TypeVar("T")


@dataclass(frozen=True)
class PeriodicJob(Generic[T]):
    """One background job.

    ``name``: the asyncio task name (``xinyong-<domain>``: ``xinyong-records`` ...). ``interval``: seconds between the end
    of one run and the start of the next, read once when the app starts (0 or less: off).
    ``run_once``: the work, given the app's database; it runs in a worker thread. ``log_line``:
    what to log at INFO after a run (``None``: nothing, e.g. when there was nothing to do).
    ``failure``: what to log with the traceback when a run raises. ``log``: the job's logger."""

    name: str
    interval: Callable[[], float]
    run_once: Callable[[Database], T]
    log: logging.Logger
    failure: str
    log_line: Callable[[T], str | None] | None = None

    async def loop(self, db: Database, interval: float) -> None:
        """Run forever: one run, then sleep ``interval`` seconds (until cancelled)."""
        while True:
            try:
                result = await asyncio.to_thread(self.run_once, db)
                line = self.log_line(result) if self.log_line is not None else None
                if line:
                    self.log.info("%s", line)
            except Exception:  # keep serving; the next run retries (run_once is idempotent)
                self.log.exception("%s", self.failure)
            await asyncio.sleep(interval)


def periodic_lifespan(job: PeriodicJob[Any]) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan context for ``job``: starts it on the app's database (``app.state.db``) when the
    app starts, if its interval is positive, and cancels it on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        interval = job.interval()
        task: asyncio.Task[None] | None = None
        if interval > 0:
            task = asyncio.create_task(job.loop(app.state.db, interval), name=job.name)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan
