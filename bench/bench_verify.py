"""Full data verify: ``xinyong ledger verify`` (the chain, then every registered verifier) over a
store of N ingested demo-city records, in records/s; the chain check alone is the same-run
reference. Also the incremental verify right after a verified checkpoint (nothing new).

``XINYONG_BENCH_VERIFY_RECORDS`` sets N (default 50,000: the issue's 1,000,000 takes an ingest
of ~25 minutes on this 2-core machine before anything is timed; the checks are linear in the
rows, so the rate carries over). Setup (not timed, cached in ``bench/out/verify_<N>.db``): the
ingest benchmark's registered store and files (``bench_ingest.prepare``), ingested through
``ingest.service.submit`` in batches of 10,000, the credit states caught up and a checkpoint
signed.
"""

from __future__ import annotations

import os
import shutil
import time

from sqlalchemy import text

from bench import bench_ingest
from bench.common import Row
from xinyong.core.db import Database
from xinyong.creditstate import consumer
from xinyong.jobs.integrity import register_verifiers, seal_and_checkpoint
from xinyong.ledger import service as ledger
from xinyong.ledger.integrity import run_verifiers

N = int(os.environ.get("XINYONG_BENCH_VERIFY_RECORDS", "50000"))


def _store(n: int) -> tuple[Database, float]:
    """The ingested store (cached); returns it and the seconds the setup took (0 if cached)."""
    cached = bench_ingest.OUT / f"verify_{n}.db"
    started = time.perf_counter()
    built = not cached.exists()
    if built:
        plan = bench_ingest.prepare(n)
        path = bench_ingest._copy(plan, f"verify_{n}")
        db = bench_ingest._database(path)
        bench_ingest.ingest_by_api(plan, db)
        with db.session() as s:
            while consumer.process_events(s):
                s.commit()
            seal_and_checkpoint(s)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
        shutil.move(path, cached)
    setup = time.perf_counter() - started if built else 0.0
    return bench_ingest._database(cached), setup


def run() -> list[Row]:
    bench_ingest._env()
    register_verifiers()
    db, setup = _store(N)
    with db.session() as s:
        records = int(s.scalar(text("SELECT count(*) FROM records")) or 0)
        t0 = time.perf_counter()
        chain = ledger.verify(s)
        t1 = time.perf_counter()
        reports = run_verifiers(s)
        t2 = time.perf_counter()
        head = chain.head_seq
        cps = ledger.list_checkpoints(s, limit=1000)
        last = cps[-1]
        t3 = time.perf_counter()
        inc_chain = ledger.verify(s, from_seq=last.last_seq + 1, prev=last.last_entry_hash)
        inc = run_verifiers(s, since_seq=last.last_seq)
        t4 = time.perf_counter()
    db.engine.dispose()
    breaks = chain.breaks_total + sum(r.total for r in reports)
    assert breaks == 0 and inc_chain.ok, "the benchmark store must verify clean"
    assert sum(r.total for r in inc) == 0
    chain_s, data_s, inc_s = t1 - t0, t2 - t1, t4 - t3
    full_s = chain_s + data_s
    per = ", ".join(f"{r.name} {r.seconds:.1f} s" for r in reports)
    note = (
        f"{records:,} records, {head:,} ledger entries, SQLite; chain {chain_s:.1f} s + data {data_s:.1f} s "
        f"({per}); 0 breaks"
    )
    return [
        Row(
            "ledger verify, full: chain + data against the ledger",
            records / full_s,
            "records/s",
            head / chain_s,
            "chain only, entries/s",
            "1,000,000 records in minutes",
            (1_000_000 / (records / full_s)) < 600,
            note=note
            + (f"; store built in {setup:.0f} s (not timed)" if setup else "")
            + f"; 1,000,000 records at this rate: {1_000_000 / (records / full_s) / 60:.1f} min",
        ),
        Row(
            "ledger verify --incremental right after a verified checkpoint (nothing new)",
            inc_s * 1000,
            "ms",
            full_s * 1000,
            "full verify, ms",
            "info",
            None,
            note=f"{records:,} records",
        ),
    ]
