"""SQLAlchemy statements compiled once and run straight on the DB-API connection.

The check API (the call other systems make before every act) reads two rows per request. Through
SQLAlchemy's execution path each read costs ~30 µs of Python around a ~5 µs indexed lookup
(statement cache, parameter processing, result proxy); here a statement is compiled once per
dialect, its parameters bound in the driver's own style and each column's own result processor
(SQLite's datetime text → ``datetime``, JSON text → objects; none on PostgreSQL, whose driver
returns them typed) applied to the one row. Only for hot single-row reads of plain columns: the
statement stays written in SQLAlchemy, so it is the same on both stores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

_Processor = Callable[[Any], Any] | None


class _Compiled:
    __slots__ = ("names", "positional", "processors", "sql", "types")

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        self.names: Sequence[str] = tuple(compiled.positiontup or ()) if self.positional else ()
        self.types = [col.type.dialect_impl(dialect) for col in stmt.selected_columns]
        # Built at the first execution: a processor may depend on the driver's type code of the
        # column (cursor.description), as SQLAlchemy's own result proxy does it.
        self.processors: list[_Processor] | None = None

    def processors_for(self, dialect: Dialect, description: Sequence[Any]) -> list[_Processor]:
        if self.processors is None:
            self.processors = [
                t.result_processor(dialect, d[1]) for t, d in zip(self.types, description, strict=True)
            ]
        return self.processors


class RawQuery:
    """One statement (bind parameters by name, e.g. ``bindparam("code")``), compiled per dialect."""

    def __init__(self, stmt: Select[Any]) -> None:
        self._stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        hit = self._by_dialect.get(dialect.name)
        if hit is None:
            hit = self._by_dialect[dialect.name] = _Compiled(self._stmt, dialect)
        return hit

    def rows(self, raw: RawConnection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, each column through its type's result processor."""
        c = self._compiled(raw.dialect)
        bound: Any = tuple(params[n] for n in c.names) if c.positional else params
        cur = raw.dbapi.cursor()
        try:
            cur.execute(c.sql, bound)
            fetched = cur.fetchall()
            procs = c.processors or c.processors_for(raw.dialect, cur.description)
        finally:
            cur.close()
        if not any(procs):
            return [tuple(r) for r in fetched]
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True))
            for r in fetched
        ]


class RawConnection:
    """A pooled DB-API connection with its dialect (what :class:`RawQuery` runs on)."""

    __slots__ = ("dbapi", "dialect")

    def __init__(self, dbapi: Any, dialect: Dialect) -> None:
        self.dbapi = dbapi
        self.dialect = dialect


class RawReader:
    """Read-only DB-API connections for the event loop's hot reads, one per thread, kept open.

    A pool checkout and its reset on return cost more than the lookups themselves. Reads run
    outside any transaction (SQLite autocommit statements, PostgreSQL autocommit), so every
    statement sees what was committed before it, as a fresh session would."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._opened: list[Any] = []  # every thread's connection, closed with the engine
        self._lock = threading.Lock()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def _open(self) -> RawConnection:
        fairy = self._engine.raw_connection()
        dbapi: Any = fairy.driver_connection
        assert dbapi is not None
        if self._engine.dialect.name == "postgresql":
            dbapi.rollback()  # the pool's ping may have opened a transaction
            dbapi.autocommit = True
        self._local.fairy = fairy
        with self._lock:
            self._opened.append(fairy)
        raw = self._local.raw = RawConnection(dbapi, self._engine.dialect)
        return raw

    @contextmanager
    def connection(self) -> Iterator[RawConnection]:
        raw: RawConnection | None = getattr(self._local, "raw", None)
        if raw is None:
            raw = self._open()
        try:
            yield raw
        except self._engine.dialect.loaded_dbapi.Error:
            self.discard()  # a broken connection is never reused: the next read opens another
            raise

    def discard(self) -> None:
        """Drop this thread's connection (after an error)."""
        fairy = getattr(self._local, "fairy", None)
        self._local.fairy = self._local.raw = None
        if fairy is not None:
            with self._lock:
                if fairy in self._opened:
                    self._opened.remove(fairy)
            with suppress(Exception):  # already gone: nothing to give back
                fairy.invalidate()

    def close(self) -> None:
        """Give every thread's connection back (the engine is being disposed)."""
        with self._lock:
            opened, self._opened = self._opened, []
        self._local = threading.local()
        for fairy in opened:
            with suppress(Exception):  # a connection another thread broke: nothing to give back
                fairy.close()
