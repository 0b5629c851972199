"""Ingest throughput: N demo-city records by file and by API batch, against a raw ``executemany``
of the same rows into the same store's ``records`` / ``record_versions`` tables, in one run.

``XINYONG_BENCH_RECORDS`` sets N (default 1,000,000; e.g. 20000 for a smoke run). The records
come from the demo generator (``xinyong.demo.generator``, seed 2026): licences, penalties,
ratings, commitments, honours and judgment debtors with the national field codes as headers.

Setup (not timed): the subjects the records name are registered through
``subjects.service.create_subjects`` (as the market-regulation register would have them: records
name known subjects), one provider registered for every item, and the rows written to CSV files
of 50,000 rows. Registered stores and files are cached under ``bench/out/`` (keyed by seed and
N), so a second run skips that work. Each measured path starts from a copy of the same store:

* file: ``ingest.service.submit_file`` on each CSV file (parse, validate, resolve subjects,
  store versions, events, quarantine, per-row results, credit state);
* API batch: ``ingest.service.submit`` with batches of 10,000 rows read from the same files (the
  service behind ``POST /api/v1/submissions``; HTTP and JSON decoding not included);
* raw: the rows the file path stored in ``records`` and ``record_versions``, read back and
  inserted with the sqlite3 driver's ``executemany`` into a fresh copy (same schema, indexes and
  PRAGMAs), one transaction. Only the inserts and the commit are timed;
* floor (info): every row the file path wrote or changed in *every* table (records, versions,
  outbox events, ledger entries, per-row results, submissions, credit states, cursors), written
  the same way into another fresh copy: the SQL alone of what the issue asks an ingest to store,
  with no reads and no Python of Xinyong's. Its ratio to raw bounds what any ingest could reach.

Rates are wall-clock; for SQLite the note adds the same comparison in CPU time (SQLite runs in
this process, so its CPU time is the whole cost: a measure a shared machine's load disturbs less).

``XINYONG_BENCH_POSTGRES_URL`` adds the same two paths on PostgreSQL (two fresh schemas with the
subjects registered, not timed; dropped afterwards) against psycopg's pipelined ``executemany``
of the API path's ``records`` and ``record_versions`` rows, re-inserted into the same store.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.common import Row
from xinyong.core.db import Database, make_engine
from xinyong.core.migrate import upgrade
from xinyong.core.settings import reset_settings
from xinyong.demo.generator import ITEM_HEADERS, iter_records, iter_subjects, load_city
from xinyong.demo.service import receipt_time
from xinyong.ingest import service as ingest_service
from xinyong.jobs import register_consumers
from xinyong.subjects import service as subjects_service

OUT = Path(__file__).resolve().parent / "out"
SEED = 2026
FILE_ROWS = 50_000
API_ROWS = 10_000
PROVIDER = "BENCH"
GOAL = 0.5
RAW_REFERENCE = "raw executemany into records + record_versions"
# Also measure on PostgreSQL (fresh schemas, dropped afterwards) when this is set.
PG_URL = os.environ.get("XINYONG_BENCH_POSTGRES_URL", "")


@dataclass
class Clock:
    """Wall and CPU seconds of the timed parts (``with clock: ...``)."""

    wall: float = 0.0
    cpu: float = 0.0
    _marks: tuple[float, float] = (0.0, 0.0)

    def __enter__(self) -> None:
        self._marks = (time.perf_counter(), time.process_time())

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._marks[0]
        self.cpu += time.process_time() - self._marks[1]


@dataclass
class Plan:
    """The input of every path: CSV chunk files per item and the store they go into."""

    n: int
    work: Path
    files: list[tuple[str, Path, int]]  # (item, path, rows)
    base_db: Path


def _env() -> None:
    os.environ.setdefault("XINYONG_SECRET_KEY", "xinyong-bench-not-a-secret")
    os.environ["XINYONG_TICK_INTERVAL_SECONDS"] = "0"
    # Files of 50,000 rows exceed the default upload limit; the bench measures speed, not limits.
    os.environ["XINYONG_MAX_UPLOAD_BYTES"] = str(1 << 30)
    reset_settings()
    # As the app and the CLI: a submission brings the credit states up to date before it returns.
    register_consumers()


def _database(path: Path) -> Database:
    return Database(make_engine(url=f"sqlite:///{path}", schema=""))


def _received_at() -> datetime:
    return receipt_time(load_city().as_of)


def _write_files(n: int, work: Path) -> tuple[list[tuple[str, Path, int]], set[int], int]:
    """Stream the generator into CSV files; return the files, the subject keys and the number of
    subjects generated."""
    subjects_needed: set[int] = set()
    files: list[tuple[str, Path, int]] = []
    open_files: dict[str, tuple[csv.DictWriter[str], object, Path, int, int]] = {}
    count = 0
    n_subjects = int(n * 1.3) + 200  # ~0.85 records per subject; the loop stops at n

    def close(item: str) -> None:
        _, fh, path, rows, _part = open_files.pop(item)
        fh.close()  # type: ignore[attr-defined]
        files.append((item, path, rows))

    for rec in iter_records(SEED, n_subjects):
        if rec.operation != "add" or rec.subject_key is None:
            continue
        if rec.item not in open_files:
            part = len([f for f in files if f[0] == rec.item])
            path = work / f"{rec.item}_{part:03d}.csv"
            fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            writer = csv.DictWriter(fh, fieldnames=ITEM_HEADERS[rec.item], lineterminator="\r\n")
            writer.writeheader()
            open_files[rec.item] = (writer, fh, path, 0, part)
        writer, fh, path, rows, part = open_files[rec.item]
        writer.writerow(rec.values)
        open_files[rec.item] = (writer, fh, path, rows + 1, part)
        subjects_needed.add(rec.subject_key)
        count += 1
        if rows + 1 >= FILE_ROWS:
            close(rec.item)
        if count >= n:
            break
    for item in list(open_files):
        close(item)
    return files, subjects_needed, n_subjects


def _register(db: Database, needed: set[int], n_subjects: int, schema: str | None = None) -> None:
    if schema:
        upgrade(db.engine, schema=schema)
    else:
        upgrade(db.engine)
    with db.session() as s:
        ingest_service.create_provider(s, PROVIDER, "基准测试单位", None, list(ITEM_HEADERS))
        # The bulk registration gives what create_subject gives one by one (tests/subjects).
        batch: list[dict[str, object]] = []
        for spec in iter_subjects(SEED, n_subjects):
            if spec.key not in needed:
                continue
            batch.append(
                {
                    "kind": spec.kind,
                    "name": spec.name,
                    "uscc": spec.uscc,
                    "id_number": spec.id_number,
                    "legal_representative": spec.legal_representative,
                    "division_code": spec.division_code,
                    "industry": spec.industry,
                    "registered_on": spec.registered_on,
                    "registered_capital": spec.registered_capital,
                    "status": spec.status,
                }
            )
            if len(batch) >= 20_000:
                subjects_service.create_subjects(s, batch)
                s.commit()
                batch = []
        subjects_service.create_subjects(s, batch)
    db.engine.dispose()


def _fingerprint() -> str:
    """sha256 over the migrations and the demo generator (code and data)."""
    root = Path(__file__).resolve().parents[1] / "xinyong"
    files = sorted((root / "core" / "migrations" / "versions").glob("*.py")) + sorted(
        (root / "demo").rglob("*.*")
    )
    h = hashlib.sha256()
    for f in files:
        if f.suffix in (".py", ".yaml"):
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def prepare(n: int) -> Plan:
    """Files and the registered base store, built once per (seed, N) and cached in bench/out."""
    work = OUT / f"ingest_{SEED}_{n}"
    done = work / "READY"
    stamp = work / "FINGERPRINT"
    base_db = work / "base.db"
    # A schema or generator change makes the cached store and files stale.
    fresh = all(p.exists() for p in (done, stamp, work / "SUBJECTS"))
    if not fresh or stamp.read_text() != _fingerprint():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        files, needed, n_subjects = _write_files(n, work)
        _register(_database(base_db), needed, n_subjects)
        with _database(base_db).engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        (work / "SUBJECTS").write_text(
            f"{n_subjects}\n" + "\n".join(str(k) for k in sorted(needed)), encoding="utf-8"
        )
        done.write_text("\n".join(f"{item}\t{p.name}\t{rows}" for item, p, rows in files), encoding="utf-8")
        stamp.write_text(_fingerprint())
    files = []
    for line in done.read_text(encoding="utf-8").splitlines():
        item, name, rows = line.split("\t")
        files.append((item, work / name, int(rows)))
    return Plan(n=sum(f[2] for f in files), work=work, files=files, base_db=base_db)


def _copy(plan: Plan, name: str) -> Path:
    target = plan.work / "runs" / f"{name}.db"
    target.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(plan.base_db, target)
    return target


def ingest_by_file(plan: Plan, db: Database) -> tuple[Clock, int, int]:
    """Time spent in submit_file (wall and CPU), rows submitted, rows rejected."""
    at = _received_at()
    clock, rows, rejected = Clock(), 0, 0
    for item, path, _ in plan.files:
        with db.session() as s, open(path, "rb") as fh, clock:
            res = ingest_service.submit_file(s, PROVIDER, item, fh, path.name, received_at=at)
        rows += res.rows_total
        rejected += res.rows_rejected
    db.engine.dispose()
    return clock, rows, rejected


def _batches(path: Path) -> Iterator[list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        batch: list[dict[str, str]] = []
        for row in csv.DictReader(fh):
            batch.append({k: v for k, v in row.items() if v})  # JSON bodies omit empty fields
            if len(batch) == API_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch


def ingest_by_api(plan: Plan, db: Database) -> tuple[Clock, int, int]:
    at = _received_at()
    clock, rows, rejected = Clock(), 0, 0
    for item, path, _ in plan.files:
        for batch in _batches(path):
            with db.session() as s, clock:
                res = ingest_service.submit(s, PROVIDER, item, batch, channel="api", received_at=at)
            rows += res.rows_total
            rejected += res.rows_rejected
    db.engine.dispose()
    return clock, rows, rejected


def _raw_target(target: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to ``target`` (autocommit: the caller says BEGIN) with the PRAGMAs
    Xinyong's own engine uses (xinyong.core.db.make_engine)."""
    dst = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        dst.execute(f"PRAGMA {pragma}")
    return dst


def raw_executemany(source: Path, target: Path, chunk: int = 50_000) -> tuple[Clock, int]:
    """Insert the records and versions stored in ``source`` into ``target`` with executemany."""
    src = sqlite3.connect(source)
    dst = _raw_target(target)
    clock, count = Clock(), 0
    dst.execute("BEGIN")
    for table in ("records", "record_versions"):
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        select = f"SELECT {', '.join(cols)} FROM {table} WHERE id > ? ORDER BY id LIMIT {chunk}"
        insert = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        last = 0
        while True:
            rows = src.execute(select, (last,)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            with clock:
                dst.executemany(insert, rows)
            if table == "records":
                count += len(rows)
    with clock:
        dst.execute("COMMIT")
    src.close()
    dst.close()
    return clock, count


def _ordinary_tables(con: sqlite3.Connection) -> list[str]:
    """The store's ordinary tables, each after the tables its foreign keys name. Virtual tables
    and their shadow tables are left out: their triggers refill them when the others are written."""
    rows = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    tables = [
        name
        for name, _ in rows
        if not name.startswith("sqlite_") and not any(name == v or name.startswith(f"{v}_") for v in virtual)
    ]
    parents = {
        t: {r[2] for r in con.execute(f'PRAGMA foreign_key_list("{t}")')} & set(tables) - {t} for t in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ordered += [t for t in tables if t not in ordered and parents[t] <= set(ordered)] or [
            next(t for t in tables if t not in ordered)  # a cycle: take any, FK checks are per statement
        ]
    return ordered


def ingest_floor(base: Path, ingested: Path, target: Path) -> tuple[Clock, list[str], int]:
    """The SQL alone of an ingest: every row the file path wrote or changed, in every table
    (records, versions, outbox events, ledger entries, per-row results, submissions, credit
    states ...), written with the sqlite3 driver's ``executemany`` into a fresh copy of the base
    store, one transaction, tables in foreign-key order. New rows are INSERTed, as the ingest
    does; rows that already existed are UPDATEd by primary key (INSERT OR REPLACE would cost three
    times an INSERT). No reads, no validation, no Python of Xinyong's: it bounds what any ingest
    that writes what the issue asks can reach against ``raw_executemany``. Returns the clock, the
    tables written and the records inserted."""
    con = sqlite3.connect(ingested)
    con.execute(f"ATTACH DATABASE '{base}' AS base")
    dst = _raw_target(target)
    clock, written, records = Clock(), [], 0
    dst.execute("BEGIN")
    for table in _ordinary_tables(con):
        info = list(con.execute(f'PRAGMA table_info("{table}")'))
        names = [r[1] for r in info]
        key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        if not key:  # every ordinary table of the schema has one; a new one without must say so
            raise ValueError(f"ingest floor: table {table} has no primary key to update by")
        cols = ", ".join(f'"{c}"' for c in names)
        on_key = " AND ".join(f'b."{k}" = n."{k}"' for k in key)
        # Each changed row once, with whether its key was already in the base store.
        changed = con.execute(
            f'SELECT n.*, EXISTS (SELECT 1 FROM base."{table}" AS b WHERE {on_key}) FROM '
            f'(SELECT {cols} FROM main."{table}" EXCEPT SELECT {cols} FROM base."{table}") AS n'
        ).fetchall()
        if not changed:
            continue
        written.append(table)
        new_rows = [r[:-1] for r in changed if not r[-1]]
        key_at = [names.index(k) for k in key]
        updates = [
            tuple(v for i, v in enumerate(r[:-1]) if i not in key_at) + tuple(r[i] for i in key_at)
            for r in changed
            if r[-1]
        ]
        sets = ", ".join(f'"{c}" = ?' for c in names if c not in key)
        where = " AND ".join(f'"{k}" = ?' for k in key)
        with clock:
            if new_rows:
                dst.executemany(
                    f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(names))})', new_rows
                )
            if updates and sets:
                dst.executemany(f'UPDATE "{table}" SET {sets} WHERE {where}', updates)
        if table == "records":
            records = len(new_rows)
    with clock:
        dst.execute("COMMIT")
    con.close()
    dst.close()
    return clock, written, records


def _pg_raw_executemany(db: Database) -> tuple[Clock, int]:
    """PostgreSQL reference: the ``records`` and ``record_versions`` rows the API path stored are
    read back, the two tables emptied, and the rows inserted again with psycopg's pipelined
    ``executemany`` in one transaction, into the same store. Only the inserts and the commit are
    timed."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        tables: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
        for table in ("records", "record_versions"):
            cur.execute(f"SELECT * FROM {table} ORDER BY id")
            cols = [d[0] for d in cur.description or ()]
            tables[table] = (cols, [tuple(r) for r in cur.fetchall()])
        cur.execute("TRUNCATE record_versions, records CASCADE")  # tables naming records are empty here
        raw.commit()
        clock = Clock()
        for table, (cols, rows) in tables.items():
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
            values = [tuple(_pg_value(v) for v in r) for r in rows]
            with clock:
                cur.executemany(sql, values)
        with clock:
            raw.commit()
        return clock, len(tables["records"][1])
    finally:
        raw.close()


def _pg_value(value: object) -> object:
    from psycopg.types.json import Jsonb

    return Jsonb(value) if isinstance(value, dict | list) else value


def _postgres(plan: Plan) -> tuple[tuple[Clock, int, int], tuple[Clock, int, int], tuple[Clock, int]]:
    """The file and API paths on two fresh PostgreSQL schemas (subjects registered, not timed),
    then the raw reference in the API path's store."""
    import uuid

    lines = (plan.work / "SUBJECTS").read_text(encoding="utf-8").split("\n")
    n_subjects, needed = int(lines[0]), {int(k) for k in lines[1:] if k}
    schemas = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = make_engine(url=PG_URL, schema="")
    try:
        results = []
        for schema, path in zip(schemas, (ingest_by_file, ingest_by_api), strict=True):
            _register(Database(make_engine(url=PG_URL, schema=schema)), needed, n_subjects, schema=schema)
            db = Database(make_engine(url=PG_URL, schema=schema))
            results.append(path(plan, db))
            db = Database(make_engine(url=PG_URL, schema=schema))
            if path is ingest_by_api:
                raw = _pg_raw_executemany(db)
            db.engine.dispose()
        return results[0], results[1], raw
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def run() -> list[Row]:
    _env()
    n = int(os.environ.get("XINYONG_BENCH_RECORDS", "1000000"))
    plan = prepare(n)
    file_db, api_db, raw_db = _copy(plan, "file"), _copy(plan, "api"), _copy(plan, "raw")
    file_s, file_rows, file_rej = ingest_by_file(plan, _database(file_db))
    api_s, api_rows, api_rej = ingest_by_api(plan, _database(api_db))
    raw_s, raw_rows = raw_executemany(file_db, raw_db)
    floor = ingest_floor(plan.base_db, file_db, _copy(plan, "floor"))
    shutil.rmtree(plan.work / "runs", ignore_errors=True)
    rows = [_floor_row(plan, floor, (raw_s, raw_rows))]
    rows += _rows(
        plan, "SQLite", (file_s, file_rows, file_rej), (api_s, api_rows, api_rej), (raw_s, raw_rows)
    )
    if PG_URL:
        rows += _rows(plan, "PostgreSQL", *_postgres(plan))
    return rows


def _floor_row(plan: Plan, floor: tuple[Clock, list[str], int], raw: tuple[Clock, int]) -> Row:
    (clock, tables, records), (raw_c, raw_rows) = floor, raw
    rate, raw_rate = records / clock.wall, raw_rows / raw_c.wall
    cpu_bound = (records / clock.cpu) / (raw_rows / raw_c.cpu)
    return Row(
        benchmark="ingest floor: the SQL alone of what the file path wrote (executemany, no reads, no Python of Xinyong's)",
        measured=rate,
        unit="rows/s",
        reference=raw_rate,
        reference_name=RAW_REFERENCE,
        goal="info",
        passed=None,
        ratio=rate / raw_rate,
        note=(
            f"{plan.n:,} records, SQLite, {len(tables)} tables written ({', '.join(tables)}); "
            f"any ingest writing them reaches at most {100 * rate / raw_rate:.0f} % of raw "
            f"(CPU time {100 * cpu_bound:.0f} %)"
        ),
    )


def _rows(
    plan: Plan,
    store: str,
    by_file: tuple[Clock, int, int],
    by_api: tuple[Clock, int, int],
    raw: tuple[Clock, int],
) -> list[Row]:
    raw_c, raw_rows = raw
    raw_rate = raw_rows / raw_c.wall
    note = f"{plan.n:,} records, {store}"

    def cpu(clock: Clock, rows: int) -> str:
        # SQLite works inside this process: its CPU time is the whole cost, and a load-robust
        # second measure on a shared machine (PostgreSQL's server time is not in it).
        if store != "SQLite":
            return ""
        ratio = (rows / clock.cpu) / (raw_rows / raw_c.cpu)
        return f"; CPU time: {rows / clock.cpu:,.0f} rows/s vs raw {raw_rows / raw_c.cpu:,.0f}, {100 * ratio:.1f} %"

    def row(benchmark: str, clock: Clock, rows: int, rejected: int) -> Row:
        rate = rows / clock.wall
        return Row(
            benchmark=benchmark,
            measured=rate,
            unit="rows/s",
            reference=raw_rate,
            reference_name=RAW_REFERENCE,
            goal="≥50 % of raw",
            passed=rate >= GOAL * raw_rate,
            ratio=rate / raw_rate,
            note=f"{note}, {rejected} rejected, {100 * rate / raw_rate:.1f} % of raw{cpu(clock, rows)}",
        )

    return [
        row(f"ingest by file (CSV, {FILE_ROWS:,} rows/file)", *by_file),
        row(f"ingest by API batch ({API_ROWS:,} rows/batch, service call)", *by_api),
    ]
