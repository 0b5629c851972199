"""The ingest benchmark runs end to end on a tiny input (the real run is `make bench`)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from bench import bench_ingest


@pytest.fixture
def small_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark on small files in a temporary cache."""
    monkeypatch.setattr(bench_ingest, "OUT", tmp_path)
    monkeypatch.setattr(bench_ingest, "FILE_ROWS", 120)
    monkeypatch.setattr(bench_ingest, "API_ROWS", 50)
    # The bench sets these for its own process; monkeypatch puts them back after the test.
    for name in ("XINYONG_MAX_UPLOAD_BYTES", "XINYONG_TICK_INTERVAL_SECONDS"):
        monkeypatch.setenv(name, os.environ.get(name, "0"))


def test_bench_ingest_smoke(small_bench: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_BENCH_RECORDS", "300")
    rows = bench_ingest.run()
    assert [r.unit for r in rows] == ["rows/s"] * 3
    floor, ingest_rows = rows[0], rows[1:]
    # The floor rewrites what the ingest stored in every table it wrote, and is informational.
    assert floor.passed is None and floor.measured > 0 and floor.reference
    for table in (
        "records",
        "record_versions",
        "events",
        "ledger_entries",
        "submission_rows",
        "credit_states",
    ):
        assert table in floor.note
    for r in ingest_rows:
        assert r.measured > 0 and r.reference and r.reference > 0
        assert r.ratio == pytest.approx(r.measured / r.reference)
        assert "0 rejected" in r.note
    plan = bench_ingest.prepare(300)  # cached: the second call reuses the files and the store
    assert plan.n == 300 and len(plan.files) > 3


def test_ingest_floor_writes_what_the_ingest_stored(small_bench: None) -> None:
    bench_ingest._env()
    plan = bench_ingest.prepare(200)
    ingested = bench_ingest._copy(plan, "file")
    bench_ingest.ingest_by_file(plan, bench_ingest._database(ingested))
    target = bench_ingest._copy(plan, "floor")
    _, tables, records = bench_ingest.ingest_floor(plan.base_db, ingested, target)
    assert records == plan.n
    # Every table, not only those it names, now holds the same rows in the floor's store: the
    # floor missed nothing the ingest wrote.
    a, b = sqlite3.connect(ingested), sqlite3.connect(target)
    assert {"records", "ledger_entries", "submission_rows"} <= set(tables)
    for table in bench_ingest._ordinary_tables(a):
        assert sorted(a.execute(f'SELECT * FROM "{table}"')) == sorted(b.execute(f'SELECT * FROM "{table}"'))
