"""The ingest benchmark runs end to end on a tiny input (the real run is `make bench`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import bench_ingest


def test_bench_ingest_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_ingest, "OUT", tmp_path)
    monkeypatch.setattr(bench_ingest, "FILE_ROWS", 120)
    monkeypatch.setattr(bench_ingest, "API_ROWS", 50)
    monkeypatch.setenv("XINYONG_BENCH_RECORDS", "300")
    # The bench sets these for its own process; monkeypatch puts them back after the test.
    for name in ("XINYONG_MAX_UPLOAD_BYTES", "XINYONG_TICK_INTERVAL_SECONDS"):
        monkeypatch.setenv(name, os.environ.get(name, "0"))
    rows = bench_ingest.run()
    assert [r.unit for r in rows] == ["rows/s", "rows/s"]
    for r in rows:
        assert r.measured > 0 and r.reference and r.reference > 0
        assert r.ratio == pytest.approx(r.measured / r.reference)
        assert "0 rejected" in r.note
    plan = bench_ingest.prepare(300)  # cached: the second call reuses the files and the store
    assert plan.n == 300 and len(plan.files) > 3
