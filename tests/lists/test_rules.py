"""List types are data: the shipped ones load, carry their legal basis, and the validator
refuses a list type without one (and other broken files), naming the file."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from xinyong.catalog.ruleset import RulesetError
from xinyong.cli import app
from xinyong.core.settings import get_settings
from xinyong.lists.rules import load_list_rules


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "ruleset"
    shutil.copytree(get_settings().ruleset_dir, target)
    return target


def _edit(directory: Path, code: str, change: dict[str, object]) -> None:
    path = directory / "lists" / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in change.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_shipped_list_types() -> None:
    rules = load_list_rules(get_settings().ruleset_dir)
    kinds = {t.code: t.kind for t in rules.all()}
    assert kinds["red_list"] == "red" and kinds["watch_list"] == "watch" and kinds["blacklist"] == "black"
    assert {"dishonest_judgment_debtor", "business_anomaly", "serious_illegal_enterprise"} <= set(kinds)
    for t in rules.all():
        assert t.legal_basis and all(b.law and b.article for b in t.legal_basis)
        assert t.exit_conditions and t.deciding_department.name_zh
        assert all(d.source for d in t.deadlines) and all(d.source for d in t.duration)
    black = rules.get("blacklist")
    # The period in force on the proposal date: Order 36 from 2026-04-01, 1 to 3 years.
    assert (black.duration_on(date(2026, 5, 1)).months, black.duration_on(date(2026, 5, 1)).min_months) == (
        36,
        12,
    )
    assert black.duration_on(date(2020, 1, 1)).min_months == 6  # 发改办财金〔2019〕527号
    assert rules.get("serious_illegal_enterprise").criteria[0].kind == "list_duration"


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"legal_basis": None}, "legal_basis_missing"),
        ({"legal_basis": []}, "legal_basis_missing"),
        ({"legal_basis": [{"law": "浙江省公共信用信息管理条例", "article": ""}]}, "legal_basis_missing"),
        ({"exclude_lists": ["no_such_list"]}, "unknown_list_type"),
        ({"kind": "grey"}, "schema"),
        ({"duration_typo": 1}, "schema"),
    ],
)
def test_the_validator_refuses_broken_list_types(
    tmp_path: Path, change: dict[str, object], rule: str
) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "blacklist", change)
    with pytest.raises(RulesetError) as exc:
        load_list_rules(directory)
    assert exc.value.details["rule"] == rule
    assert exc.value.details["file"].endswith("blacklist.yaml")


def test_criteria_must_name_catalog_items_and_steps_must_have_deadlines(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    path = directory / "lists" / "watch_list.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["criteria"][0]["items"] = ["no_such_item"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        load_list_rules(directory)
    assert exc.value.details["rule"] == "unknown_item"
    data["criteria"][0]["items"] = ["administrative_penalty"]
    del data["deadlines"][0]["statement_period"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        load_list_rules(directory)
    assert "statement_period is required" in exc.value.message


def test_cli_validate_names_the_problem(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["lists", "validate", str(directory)])
    assert ok.exit_code == 0 and "名单类型有效" in ok.output
    _edit(directory, "red_list", {"legal_basis": None})
    bad = runner.invoke(app, ["lists", "validate", str(directory)])
    assert bad.exit_code == 1 and "法律依据" in bad.output
