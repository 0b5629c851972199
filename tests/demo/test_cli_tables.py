"""The CLI's tables in an 80-column terminal, against the demo city: a USCC or an item code is
never cut, and no text is truncated with "…" (it wraps onto further lines instead)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.demo.generator import load_city
from xinyong.demo.service import build_demo
from xinyong.subjects import service as subjects_service

NARROW = {"COLUMNS": "80"}


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=NARROW)
    assert result.exit_code == 0, result.output
    assert "…" not in result.output, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    return result.output


def test_tables_at_80_columns_keep_codes_whole(db: Database, tmp_path: Path) -> None:
    summary = build_demo(db, subjects=80, seed=2026, out_dir=tmp_path / "samples")
    penalised, mismatch = summary.examples["penalised"], summary.examples["mismatch"]
    with db.session() as s:
        name = subjects_service.get_by_code(s, penalised).name

    assert penalised in _run("subject", "show", penalised)
    assert penalised in _run("subject", "search", name[:6])
    assert mismatch in _run("governance", "list")
    listed = _run("provider", "list")
    assert all(d.uscc in listed for d in load_city().departments)
    assert "行政监督检查" in _run("catalog", "list")
    assert "TZ-SCJG-JJ" in _run("quarantine", "list")
    assert "demo_regulator" in _run("user", "list")
    assert "TZ-XYB" in _run("dept", "list")
