"""`xinyong catalog validate` and `xinyong catalog template`."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from xinyong.cli import app

runner = CliRunner()


def test_validate_accepts_the_default_and_names_a_broken_file(ruleset_copy: Path) -> None:
    ok = runner.invoke(app, ["catalog", "validate", str(ruleset_copy)])
    assert ok.exit_code == 0, ok.output
    assert "规则集有效" in ok.output

    path = ruleset_copy / "catalog" / "honour.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("polarity: positive", "polarity: good"), "utf-8")
    bad = runner.invoke(app, ["catalog", "validate", str(ruleset_copy)])
    assert bad.exit_code == 1
    assert "honour.yaml" in bad.output and "polarity" in bad.output


def test_template_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "处罚.xlsx"
    result = runner.invoke(app, ["catalog", "template", "administrative_penalty", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).worksheets[0]["A1"].value == "行政相对人名称*"
