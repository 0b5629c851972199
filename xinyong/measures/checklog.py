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

import queue
import threading
from concurrent.futures import Future
from typing import Any, cast

from sqlalchemy import Connection, Table

from xinyong.core.db import Database
from xinyong.measures.models import MeasureCheck
from xinyong.querylog import service as querylog_service

_CHECKS = cast(Table, MeasureCheck.__table__)
# Rows written per transaction at most (an operational knob).
_MAX_BATCH = 500
# How long a check waits for its row to be committed before failing (seconds).
_WAIT = 30.0
# One check's (or batch's) rows: check-log rows, query-log rows, and the future its caller waits on.
_Item = tuple[list[dict[str, Any]], list[dict[str, Any]], Future[None]]


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
            rows = [row for rows, _, _ in batch for row in rows]
            query_rows = [row for _, rows, _ in batch for row in rows]
            try:
                if conn is None:
                    conn = self._db.engine.connect()
                with conn.begin():
                    if rows:
                        conn.execute(_CHECKS.insert(), rows)
                    querylog_service.append_entries(conn, query_rows)
            except Exception as exc:  # every waiting check fails with the cause
                if conn is not None:
                    conn.invalidate()
                    conn.close()
                    conn = None
                for _, _, done in batch:
                    done.set_exception(exc)
            else:
                for _, _, done in batch:
                    done.set_result(None)


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
