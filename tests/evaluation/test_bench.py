"""The evaluation benchmark runs end to end on a tiny province (the real run is `make bench`),
and its hand-written reference query computes exactly what the compiled model computes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import bench_evaluation


def test_bench_evaluation_smoke(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XINYONG_VAR_DIR", os.environ.get("XINYONG_VAR_DIR", ""))
    monkeypatch.setattr(bench_evaluation, "OUT", tmp_path)
    [row], _inputs, _ = bench_evaluation.full_evaluation(600)
    assert row.passed is not None and row.measured > 0 and row.reference and row.reference > 0
    assert "agree on" in row.note
    agreed, total = row.note.rsplit("agree on ", 1)[1].split("/")
    assert agreed == total  # same totals and grades for every subject
    assert (tmp_path / "evaluation-2026-600" / "done").is_file()
    [again], _, _ = bench_evaluation.full_evaluation(600)  # from the cache
    assert again.note.split("agree on ")[1] == row.note.split("agree on ")[1]
    latency = bench_evaluation.incremental(60, rounds=3)
    assert latency.unit == "ms" and latency.measured > 0
