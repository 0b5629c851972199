"""Bulk INSERT for the hot paths of ingest (records, versions, events, ledger entries, per-row
results): the driver's ``executemany`` fed with values converted once per column.

SQLAlchemy's own executemany builds and processes a parameter dictionary per row, which costs
more than the database's work for narrow rows. Here each column's value goes through the bind
processor of its type for the connection's dialect (so what is stored is exactly what
SQLAlchemy would store: SQLite date and datetime text, JSON through the engine's serializer,
psycopg's JSONB adapter ...), and the statement text is built once. Python-side column defaults
(``default=utcnow``) are applied to the columns a caller leaves out, as SQLAlchemy would.

Rows needing generated keys back use multi-row ``VALUES ... RETURNING`` (SQLite 3.35+,
PostgreSQL: ids drawn from the key's sequence first); rows come back in no guaranteed order, so
callers ask for a natural key with the id and map the rows back by it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable

# Bound parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
_MAX_PARAMS = 30_000


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.
    With ``returning``, the values of those columns for every inserted row (any order)."""
    if not rows:
        return []
    session.flush()  # ORM objects added earlier go first (foreign keys)
    conn = session.connection()
    keys = tuple(rows[0])
    plan = _cached_plan(conn.dialect, table, keys)
    values = [plan.convert(row) for row in rows]
    if not returning:
        conn.exec_driver_sql(plan.sql, values)
        return []
    if conn.dialect.name == "postgresql":
        return _insert_with_sequence(session, table, rows, returning)
    out: list[tuple[Any, ...]] = []
    per_statement = max(1, _MAX_PARAMS // max(1, len(plan.columns)))
    tail = " RETURNING " + ", ".join(plan.quote(c) for c in returning)
    for start in range(0, len(values), per_statement):
        part = values[start : start + per_statement]
        sql = plan.head + ", ".join([plan.group] * len(part)) + tail
        flat = tuple(chain.from_iterable(part))
        out.extend(tuple(r) for r in conn.exec_driver_sql(sql, flat))
    return out


def insert_rows_on(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``insert_rows`` (no RETURNING) on a connection in a transaction of its own (the check
    log's group-commit writers)."""
    if rows:
        plan = _cached_plan(conn.dialect, table, tuple(rows[0]))
        conn.exec_driver_sql(plan.sql, [plan.convert(row) for row in rows])


def insert_values(
    session: Session, table: Table, keys: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """``insert_rows`` for rows given as value sequences in the order of ``keys`` (the hot
    paths build them directly: no dictionary per row). Same conversions and defaults."""
    if not rows:
        return
    session.flush()
    conn = session.connection()
    plan = _cached_plan(conn.dialect, table, keys)
    conn.exec_driver_sql(plan.sql, [plan.convert_values(row) for row in rows])


def update_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str) -> None:
    """``UPDATE table SET ... WHERE key = ?`` for each row (dicts with the same keys, ``key``
    among them), with the driver's ``executemany`` and the columns' own bind processors. Loaded
    ORM objects of those rows are not refreshed: the caller expires them."""
    if not rows:
        return
    session.flush()
    conn = session.connection()
    keys = tuple(rows[0])
    plan = _cached_update_plan(conn.dialect, table, keys, key)
    conn.exec_driver_sql(plan.sql, [plan.convert(row) for row in rows])


def select_rows(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> list[Any]:
    """Run a column SELECT on the session's connection (Core rows: no ORM loading machinery,
    which costs more than the query for the thousand-row lookups of bulk ingest). Pending ORM
    changes are flushed first, as the session's own autoflush would."""
    session.flush()
    return list(session.connection().execute(statement, params or {}).all())


def _insert_with_sequence(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: take the ids from the column's sequence first (one query), then a plain
    pipelined executemany. psycopg parses a query's text for placeholders on every call, which
    makes one multi-row ``VALUES ... RETURNING`` per thousand rows several times slower."""
    pk = [c for c in table.primary_key.columns]
    if len(pk) != 1 or pk[0].name in rows[0]:
        raise ValueError(f"insert_rows(returning=...) needs {table.name} to have one generated key")
    key = pk[0].name
    ids = list(
        session.connection()
        .exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            (table.name, key, len(rows)),
        )
        .scalars()
    )
    with_ids = [{key: i, **row} for i, row in zip(ids, rows, strict=True)]
    insert_rows(session, table, with_ids)
    return [tuple(row[c] for c in returning) for row in with_ids]


class _Plan:
    """The statement and per-column converters for one (dialect, table, keys)."""

    def __init__(self, dialect: Dialect, table: Table, keys: tuple[str, ...]) -> None:
        self.quote = dialect.identifier_preparer.quote
        defaults: list[tuple[str, Callable[[], Any]]] = []
        for col in table.columns:
            if col.name in keys or col.default is None or not _client_default(col):
                continue
            defaults.append((col.name, _default_factory(col)))
        self.columns = keys + tuple(name for name, _ in defaults)
        self._defaults = [factory for _, factory in defaults]
        # Only the columns whose type converts values (dates, JSON ...) are touched per row.
        self._processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(self.columns):
            proc = _processor(table.c[name], dialect)
            if proc is not None:
                self._processors.append((index, proc))
        self._get = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.group = "(" + ", ".join([mark] * len(self.columns)) + ")"
        columns = ", ".join(self.quote(c) for c in self.columns)
        self.head = f"INSERT INTO {self.quote(table.name)} ({columns}) VALUES "
        self.sql = self.head + self.group

    def convert(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return self.convert_values(self._get(row))

    def convert_values(self, got: Sequence[Any]) -> tuple[Any, ...]:
        """The values of one row (in the order of ``keys``) as the driver takes them."""
        if not self._processors and not self._defaults:
            return got if type(got) is tuple else tuple(got)
        values = list(got)
        for factory in self._defaults:
            values.append(factory())
        for index, proc in self._processors:
            values[index] = proc(values[index])
        return tuple(values)


class _UpdatePlan:
    """``UPDATE`` statement text and per-column converters for one (dialect, table, keys, key)."""

    def __init__(self, dialect: Dialect, table: Table, keys: tuple[str, ...], key: str) -> None:
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        columns = (*(k for k in keys if k != key), key)
        sets = ", ".join(f"{quote(c)} = {mark}" for c in columns[:-1])
        self.sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote(key)} = {mark}"
        self._get = itemgetter(*columns)
        self._processors = [
            (index, proc)
            for index, name in enumerate(columns)
            if (proc := _processor(table.c[name], dialect)) is not None
        ]

    def convert(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        values = list(self._get(row))
        for index, proc in self._processors:
            values[index] = proc(values[index])
        return tuple(values)


@lru_cache(maxsize=64)
def _cached_update_plan(dialect: Dialect, table: Table, keys: tuple[str, ...], key: str) -> _UpdatePlan:
    return _UpdatePlan(dialect, table, keys, key)


@lru_cache(maxsize=256)
def _cached_plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    return _Plan(dialect, table, keys)


def _client_default(col: Column[Any]) -> bool:
    default = col.default
    return bool(getattr(default, "is_scalar", False) or getattr(default, "is_callable", False))


def _default_factory(col: Column[Any]) -> Callable[[], Any]:
    default: Any = col.default
    if default.is_scalar:
        value = default.arg
        return lambda: value
    fn = default.arg  # SQLAlchemy wraps the callable to take an execution context

    def call() -> Any:
        return fn(None)

    return call


def _processor(col: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    impl = col.type.dialect_impl(dialect)
    proc = impl.bind_processor(dialect)
    if proc is not None and isinstance(col.type, JSON):
        # Most per-row JSON values of a batch are empty (no errors, no warnings): convert that once.
        json_proc = proc
        empty_list = json_proc([])

        def json_value(value: Any) -> Any:
            if type(value) is list and not value:
                return empty_list
            return json_proc(value)

        return json_value
    if proc is None or not isinstance(col.type, Date | DateTime):
        return proc
    # A batch mostly carries one timestamp (``now``) and few dates: convert each once.
    memo: dict[Any, Any] = {}
    convert = proc

    def cached(value: Any) -> Any:
        hit = memo.get(value, _MISS)
        if hit is _MISS:
            hit = convert(value)
            if len(memo) < 4096:
                memo[value] = hit
        return hit

    return cached


_MISS = object()
