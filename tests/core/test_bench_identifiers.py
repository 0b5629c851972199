"""The benchmark harness and the identifier benchmark, run small (the real run is `make bench`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench.__main__ as bench_main
from bench import bench_identifiers
from bench.common import Row


def test_identifier_benchmark_rows_small_run() -> None:
    rows = bench_identifiers.run(n=2000)
    speed, agreement, any_prefix = rows
    assert (
        speed.unit == "codes/s"
        and speed.reference
        and speed.ratio == pytest.approx(speed.measured / speed.reference)
    )
    assert agreement.measured == 100.0 and agreement.passed
    # Xinyong accepts every valid A-/N-/Y-prefixed code; stdnum accepts none.
    assert any_prefix.measured == 100.0 and any_prefix.reference == 0.0


def test_harness_records_a_dated_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n", encoding="utf-8")
    monkeypatch.setattr(bench_main, "DOCS", docs)
    monkeypatch.setattr(bench_main, "discover", lambda only=None: ["bench_fake"])
    fake = type(
        "M",
        (),
        {"run": staticmethod(lambda: [Row("fake rows", 1000.0, "rows/s", 500.0, "raw", "≥50 %", True, 2.0)])},
    )
    monkeypatch.setitem(__import__("sys").modules, "bench.bench_fake", fake)
    assert bench_main.main(["--record"]) == 0
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n")
    assert "| fake rows | 1,000 rows/s | 500 rows/s (raw) | 2.0× | ≥50 % | pass |" in text
    assert bench_main.main([]) == 0
    assert docs.read_text(encoding="utf-8") == text  # without --record nothing is written
