"""Group commit for the check log: concurrent checks share one INSERT and one COMMIT.

Every check is logged before its answer leaves (``CheckLogWriter.write`` returns only after the
row is committed), but on a busy server many checks arrive while one transaction is being
written: a single writer thread per store takes everything that queued up meanwhile and commits
it at once. Each check brings two kinds of rows, its check-log row (``measure_checks``) and its
query-log entry (``query_log``, through ``querylog.service.append_entries``): both go into the
same transaction, so a check is never answered with only half of its log. On SQLite this keeps the checks of several workers from queueing on the write lock
one by one; on PostgreSQL it saves a commit per check.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.exc import OperationalError

from xinyong.core.bulk import insert_rows_on
from xinyong.core.db import Database
from xinyong.measures import receipts
from xinyong.measures.models import MeasureCheck
from xinyong.querylog import service as querylog_service

log = logging.getLogger("xinyong.measures.checklog")
_CHECKS = cast(Table, MeasureCheck.__table__)
# Rows written per transaction at most (an operational knob).
_MAX_BATCH = 500
# SQLite: seconds between WAL checkpoints of the event-loop writer's store (AsyncCheckLog).
_CHECKPOINT_SECONDS = 1.0
# How long a check waits for its row to be committed before failing (seconds).
_WAIT = 30.0
# One check's (or batch's) rows: check-log rows, query-log rows, and the future its caller waits on.
_Item = tuple[list[dict[str, Any]], list[dict[str, Any]], Future[None]]


def _insert(conn: Connection, rows: list[dict[str, Any]], query_rows: list[dict[str, Any]]) -> None:
    """One batch of both writers: its check-log rows and query-log entries, in one transaction.
    Receipts not signed yet (the API's checks) are signed here, all of the batch with one
    signature (``receipts.seal``): a receipt is never stored, nor answered, unsigned."""
    receipts.seal([r["receipt"] for r in rows if "proof" not in r["receipt"]])
    with conn.begin():
        insert_rows_on(conn, _CHECKS, rows)
        querylog_service.append_entries(conn, query_rows)


_Rows = list[dict[str, Any]]
# A batch of either writer: each check's (or batch check's) rows and the future its caller awaits.
_Batch = Sequence[tuple[_Rows, _Rows, "Future[None] | asyncio.Future[None]"]]


def _rows_of(batch: _Batch) -> tuple[_Rows, _Rows]:
    """The batch's check-log rows and query-log entries, each list in one piece."""
    return [row for rows, _, _ in batch for row in rows], [row for _, rows, _ in batch for row in rows]


def _settle(batch: _Batch, exc: Exception | None) -> None:
    """Answer every waiting check: committed, or failed with the cause (a waiter that went away
    meanwhile, e.g. a cancelled request, is skipped)."""
    for _, _, done in batch:
        if done.done():
            continue
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)


def _discard(conn: Connection | None) -> None:
    """Drop a writer's connection after a failed batch (the next batch opens a fresh one)."""
    if conn is not None:
        conn.invalidate()
        conn.close()


class CheckLogWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, rows: list[dict[str, Any]], query_rows: list[dict[str, Any]] | None = None) -> None:
        """Insert ``rows`` into the check log and ``query_rows`` (made by
        ``querylog.service.entry_values``) into the query log; returns once both are committed
        (or raises)."""
        if not rows and not query_rows:
            return
        done: Future[None] = Future()
        self._queue.put((rows, query_rows or [], done))
        self._start()
        done.result(timeout=_WAIT)

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="xinyong-checklog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        # The writer keeps its own connection: taking one from the pool per batch could wait
        # forever behind request threads that hold the pool's connections while they wait for
        # this very writer.
        conn: Connection | None = None
        while True:
            batch = [self._queue.get()]
            count = len(batch[0][0]) + len(batch[0][1])
            while count < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                count += len(item[0]) + len(item[1])
            try:
                if conn is None:
                    conn = self._db.engine.connect()
                _insert(conn, *_rows_of(batch))
            except Exception as exc:  # every waiting check fails with the cause
                _discard(conn)
                conn = None
                _settle(batch, exc)
            else:
                _settle(batch, None)


_writers: dict[int, tuple[Database, CheckLogWriter]] = {}
_writers_lock = threading.Lock()


def writer_for(db: Database) -> CheckLogWriter:
    """The writer of a store (one per ``Database`` object)."""
    hit = _writers.get(id(db))
    if hit is None or hit[0] is not db:
        with _writers_lock:
            hit = _writers.get(id(db))
            if hit is None or hit[0] is not db:
                hit = (db, CheckLogWriter(db))
                _writers[id(db)] = hit
    return hit[1]


class AsyncCheckLog:
    """Group commit on the event loop, for the async check route (the API's hot path).

    The thread writer above makes a loaded server slow: its thread needs the GIL for every step
    of a batch and, while the event loop thread is busy, gets it only every switch interval
    (5 ms), so each check waited ~20 ms for its log. Here the batch is written by a task on the
    loop itself: checks that finish while one batch is being committed form the next batch.
    The answer still leaves only after its rows are committed."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_AsyncItem] = []
        self._task: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._checkpoint: asyncio.Future[None] | None = None
        self._checkpointed = time.monotonic()

    async def write(self, rows: list[dict[str, Any]], query_rows: list[dict[str, Any]]) -> None:
        if not rows and not query_rows:
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests start one per client): start afresh
            self._loop, self._pending, self._task, self._checkpoint = loop, [], None, None
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((rows, query_rows, done))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # the checks already running join this batch
            batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
            try:
                await self._commit(*_rows_of(batch))
            except Exception as exc:  # every waiting check fails with the cause
                _discard(self._conn)
                self._conn = None
                _settle(batch, exc)
            else:
                _settle(batch, None)
                self._maybe_checkpoint()

    async def _commit(self, rows: list[dict[str, Any]], query_rows: list[dict[str, Any]]) -> None:
        # SQLite: another process's writer may hold the write lock; the connection does not
        # wait inside SQLite (that would block the loop, in sleeps of up to 100 ms): the loop
        # retries every fraction of a millisecond, serving other requests meanwhile.
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        deadline = time.monotonic() + _WAIT
        pause = 0.0002
        while True:
            try:
                _insert(conn, rows, query_rows)
                return
            except OperationalError as exc:
                message = str(exc.orig).lower()
                if not ("locked" in message or "busy" in message) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.002)

    def _connect(self) -> Connection:
        conn = self._db.engine.connect()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            # The commit that crosses the WAL's size threshold would also copy the WAL into the
            # database and fsync it, on the event loop; a worker thread does it instead (below).
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            conn.commit()
        return conn

    def _maybe_checkpoint(self) -> None:
        """SQLite: at most every ``_CHECKPOINT_SECONDS``, a PASSIVE checkpoint on a worker thread
        and its own connection (it blocks neither readers nor this writer). RESTART checkpoints,
        which make the next writer start the WAL afresh, were tried: they hold the writers of
        every server process back while they copy and sync, and the check p99 went from ~18 ms to
        ~85 ms at 32 connections; under constant load a PASSIVE one never catches up, so the WAL
        grows until the first quiet moment restarts it."""
        if self._conn is None or self._conn.dialect.name != "sqlite" or self._loop is None:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        if time.monotonic() - self._checkpointed < _CHECKPOINT_SECONDS:
            return
        self._checkpointed = time.monotonic()
        self._checkpoint = self._loop.run_in_executor(None, self._checkpoint_now)

    def _checkpoint_now(self) -> None:
        try:
            with self._db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next round tries again; the WAL only grows meanwhile
            log.warning("check log: WAL checkpoint failed", exc_info=True)


_AsyncItem = tuple[list[dict[str, Any]], list[dict[str, Any]], "asyncio.Future[None]"]
_async_logs: dict[int, tuple[Database, AsyncCheckLog]] = {}


def async_log_for(db: Database) -> AsyncCheckLog:
    """The event-loop writer of a store (one per ``Database``; used from its event loop)."""
    hit = _async_logs.get(id(db))
    if hit is None or hit[0] is not db:
        hit = _async_logs[id(db)] = (db, AsyncCheckLog(db))
    return hit[1]
