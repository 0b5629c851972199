"""Ingest throughput: N demo-city records by file and by API batch, against a raw ``executemany``
of the same rows into the same store's ``records`` / ``record_versions`` tables, in one run.

``XINYONG_BENCH_RECORDS`` sets N (default 1,000,000; e.g. 20000 for a smoke run). The records
come from the demo generator (``xinyong.demo.generator``, seed 2026): licences, penalties,
ratings, commitments, honours and judgment debtors with the national field codes as headers.

Setup (not timed): the subjects the records name are registered through
``subjects.service.create_subject`` (as the market-regulation register would have them: records
name known subjects), one provider registered for every item, and the rows written to CSV files
of 50,000 rows. Registered stores and files are cached under ``bench/out/`` (keyed by seed and
N), so a second run skips that work. Each measured path starts from a copy of the same store:

* file: ``ingest.service.submit_file`` on each CSV file (parse, validate, resolve subjects,
  store versions, events, quarantine, per-row results, credit state);
* API batch: ``ingest.service.submit`` with batches of 10,000 rows read from the same files (the
  service behind ``POST /api/v1/submissions``; HTTP and JSON decoding not included);
* raw: the rows the file path stored in ``records`` and ``record_versions``, read back and
  inserted with the sqlite3 driver's ``executemany`` into a fresh copy (same schema, indexes and
  PRAGMAs), one transaction. Only the inserts and the commit are timed.
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
from xinyong.subjects import service as subjects_service

OUT = Path(__file__).resolve().parent / "out"
SEED = 2026
FILE_ROWS = 50_000
API_ROWS = 10_000
PROVIDER = "BENCH"
GOAL = 0.5


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


def _register(db_path: Path, needed: set[int], n_subjects: int) -> None:
    db = _database(db_path)
    upgrade(db.engine)
    with db.session() as s:
        ingest_service.create_provider(s, PROVIDER, "基准测试单位", None, list(ITEM_HEADERS))
        for i, spec in enumerate(iter_subjects(SEED, n_subjects)):
            if spec.key not in needed:
                continue
            subjects_service.create_subject(
                s,
                kind=spec.kind,
                name=spec.name,
                uscc=spec.uscc,
                id_number=spec.id_number,
                legal_representative=spec.legal_representative,
                division_code=spec.division_code,
                industry=spec.industry,
                registered_on=spec.registered_on,
                registered_capital=spec.registered_capital,
                status=spec.status,
            )
            if i % 5000 == 0:
                s.commit()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
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
    if not done.exists() or not stamp.exists() or stamp.read_text() != _fingerprint():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        files, needed, n_subjects = _write_files(n, work)
        _register(base_db, needed, n_subjects)
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


def ingest_by_file(plan: Plan, db_path: Path) -> tuple[float, int, int]:
    """Seconds spent in submit_file, rows submitted, rows rejected."""
    db = _database(db_path)
    at = _received_at()
    seconds, rows, rejected = 0.0, 0, 0
    for item, path, _ in plan.files:
        with db.session() as s, open(path, "rb") as fh:
            started = time.perf_counter()
            res = ingest_service.submit_file(s, PROVIDER, item, fh, path.name, received_at=at)
            seconds += time.perf_counter() - started
        rows += res.rows_total
        rejected += res.rows_rejected
    db.engine.dispose()
    return seconds, rows, rejected


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


def ingest_by_api(plan: Plan, db_path: Path) -> tuple[float, int, int]:
    db = _database(db_path)
    at = _received_at()
    seconds, rows, rejected = 0.0, 0, 0
    for item, path, _ in plan.files:
        for batch in _batches(path):
            with db.session() as s:
                started = time.perf_counter()
                res = ingest_service.submit(s, PROVIDER, item, batch, channel="api", received_at=at)
                seconds += time.perf_counter() - started
            rows += res.rows_total
            rejected += res.rows_rejected
    db.engine.dispose()
    return seconds, rows, rejected


def raw_executemany(source: Path, target: Path, chunk: int = 50_000) -> tuple[float, int]:
    """Insert the records and versions stored in ``source`` into ``target`` with executemany."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    # The PRAGMAs Xinyong's own engine uses (xinyong.core.db.make_engine).
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        dst.execute(f"PRAGMA {pragma}")
    seconds, count = 0.0, 0
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
            started = time.perf_counter()
            dst.executemany(insert, rows)
            seconds += time.perf_counter() - started
            if table == "records":
                count += len(rows)
    started = time.perf_counter()
    dst.execute("COMMIT")
    seconds += time.perf_counter() - started
    src.close()
    dst.close()
    return seconds, count


def run() -> list[Row]:
    _env()
    n = int(os.environ.get("XINYONG_BENCH_RECORDS", "1000000"))
    plan = prepare(n)
    file_db, api_db, raw_db = _copy(plan, "file"), _copy(plan, "api"), _copy(plan, "raw")
    file_s, file_rows, file_rej = ingest_by_file(plan, file_db)
    api_s, api_rows, api_rej = ingest_by_api(plan, api_db)
    raw_s, raw_rows = raw_executemany(file_db, raw_db)
    file_rate, api_rate, raw_rate = file_rows / file_s, api_rows / api_s, raw_rows / raw_s
    shutil.rmtree(plan.work / "runs", ignore_errors=True)
    note = f"{plan.n:,} records, SQLite"
    return [
        Row(
            benchmark=f"ingest by file (CSV, {FILE_ROWS:,} rows/file)",
            measured=file_rate,
            unit="rows/s",
            reference=raw_rate,
            reference_name="raw executemany into records + record_versions",
            goal="≥50 % of raw",
            passed=file_rate >= GOAL * raw_rate,
            ratio=file_rate / raw_rate,
            note=f"{note}, {file_rej} rejected, {100 * file_rate / raw_rate:.1f} % of raw",
        ),
        Row(
            benchmark=f"ingest by API batch ({API_ROWS:,} rows/batch, service call)",
            measured=api_rate,
            unit="rows/s",
            reference=raw_rate,
            reference_name="raw executemany into records + record_versions",
            goal="≥50 % of raw",
            passed=api_rate >= GOAL * raw_rate,
            ratio=api_rate / raw_rate,
            note=f"{note}, {api_rej} rejected, {100 * api_rate / raw_rate:.1f} % of raw",
        ),
    ]
