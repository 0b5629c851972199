"""The CLI: `xinyong provider add`, `xinyong ingest FILE`, `xinyong quarantine list`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.ingest.factory import PENALTY, penalty_row, to_csv, to_xlsx
from xinyong.cli import app
from xinyong.core.db import Database

runner = CliRunner()


def test_provider_add_ingest_and_quarantine(db: Database, tmp_path: Path) -> None:
    added = runner.invoke(app, ["provider", "add", "tz_hbj", "台州市生态环境局", "--item", PENALTY])
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    assert key.startswith("xy_")

    good = tmp_path / "处罚.csv"
    good.write_bytes(to_csv([penalty_row(1), penalty_row(2, CF_NR_FK="-3")], encoding="gbk"))
    result = runner.invoke(app, ["ingest", str(good), "--provider", "tz_hbj", "--item", PENALTY])
    assert result.exit_code == 0, result.output  # some rows quarantined is not a failure
    assert (
        "ingest.negative_amount" in result.output and "xinyong quarantine list --submission" in result.output
    )

    listed = runner.invoke(app, ["quarantine", "list", "--provider", "tz_hbj"])
    assert listed.exit_code == 0 and "ingest.negative_amount" in listed.output

    bad = tmp_path / "缺列.xlsx"
    bad.write_bytes(to_xlsx([{k: v for k, v in penalty_row(3).items() if k != "CF_WSH"}]))
    rejected = runner.invoke(app, ["ingest", str(bad), "--provider", "tz_hbj", "--item", PENALTY])
    assert rejected.exit_code == 2
    assert "ingest.missing_columns" in rejected.output

    metrics = runner.invoke(app, ["provider", "metrics", "tz_hbj", "--json"])
    assert metrics.exit_code == 0 and '"rows_rejected": 1' in metrics.output
