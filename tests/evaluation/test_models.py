"""Model files as data: the shipped models are valid and compile for every engine; broken files
are refused with an error that names the place and the rule."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from xinyong.catalog.service import get_catalog
from xinyong.cli import app
from xinyong.core.settings import get_settings
from xinyong.evaluation import service
from xinyong.evaluation.features import FEATURES
from xinyong.evaluation.model import ModelError, compile_model, parse_model

MODELS = Path(get_settings().ruleset_dir) / "models"


def _raw(name: str = "enterprise") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((MODELS / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def _fails(raw: dict[str, Any], rule: str) -> ModelError:
    with pytest.raises(ModelError) as err:
        parse_model(raw, "test.yaml", get_catalog())
    assert err.value.details["rule"] == rule, err.value.message
    assert err.value.code == "evaluation.model_invalid" and err.value.message_zh
    return err.value


def test_shipped_models_are_valid_and_compile_for_duckdb_and_spark() -> None:
    specs = service.load_model_files(MODELS)
    assert {s.code for s in specs} == {"enterprise", "small_entities"}
    enterprise = next(s for s in specs if s.code == "enterprise")
    # The Taizhou dimensions on the Zhejiang 1000-point scale, grades 优/良/中/差.
    assert [d.name_zh for d in enterprise.dimensions] == [
        "企业基础信息",
        "遵纪守法",
        "商业信用",
        "经营能力",
        "社会贡献",
    ]
    assert enterprise.scale == 1000
    assert [g.label_zh for g in enterprise.grades] == ["优", "良", "中", "差"]
    assert enterprise.target_distribution.distribution == {
        "A": Decimal("0.023"),
        "B": Decimal("0.764"),
        "C": Decimal("0.2"),
        "D": Decimal("0.013"),
    }
    for spec in specs:
        assert spec.source and all(i.source and i.rule_zh for _, i in spec.indicators())
        compiled = compile_model(spec, spec.effective_from)
        duck, spark = compiled.sql("duckdb"), compiled.sql("spark")
        assert "ARRAY_AGG" in duck and "COLLECT_LIST" in spark
        if spec.code == "enterprise":
            assert "ARG_MAX" in duck and "MAX_BY" in spark


def test_unknown_feature() -> None:
    raw = _raw()
    raw["dimensions"][0]["indicators"][0]["feature"] = "profit_margin"
    err = _fails(raw, "unknown_feature")
    assert "profit_margin" in err.message and "years_since_registration" in err.message


def test_weights_must_sum_to_one_in_the_model_and_in_each_dimension() -> None:
    raw = _raw()
    raw["dimensions"][0]["weight"] = 0.2
    err = _fails(raw, "weights_sum")
    assert "1.05" in err.message
    raw = _raw()
    raw["dimensions"][1]["indicators"][0]["weight"] = 0.5
    err = _fails(raw, "weights_sum")
    assert "遵纪守法" in err.message_zh


def test_overlapping_bins_and_gaps() -> None:
    raw = _raw()
    bins = raw["dimensions"][0]["indicators"][0]["scoring"]["bins"]
    bins[1]["min"] = 0.5  # [0.5, 3) overlaps (-inf, 1)
    err = _fails(raw, "overlapping_bins")
    assert "years_registered" in err.message
    raw = _raw()
    del raw["dimensions"][0]["indicators"][0]["scoring"]["bins"][2]  # [3, 5) missing
    _fails(raw, "bins_gap")
    raw["dimensions"][0]["indicators"][0]["scoring"]["default"] = 70
    parse_model(raw, "test.yaml", get_catalog())  # a default fills the gap


def test_other_rules() -> None:
    raw = _raw()
    raw["caps"][0]["max_grade"] = "E"
    _fails(raw, "unknown_grade")
    raw = _raw()
    raw["dimensions"][4]["indicators"][0]["params"] = {"items": ["administrative_penalty"]}
    _fails(raw, "unknown_field")  # honours read honour_level, which penalties do not have
    raw = _raw()
    raw["dimensions"][2]["indicators"][0]["scoring"] = {"type": "linear", "intercept": 100, "slope": -1}
    _fails(raw, "scoring_kind")  # a rating is categorical: only a points table fits
    raw = _raw()
    raw["grades"][1]["min_score"] = 900
    _fails(raw, "grades")
    raw = _raw()
    raw["target_distribution"]["distribution"]["A"] = 0.5
    _fails(raw, "target_distribution")
    raw = _raw()
    raw["dimensions"][1]["indicators"][0]["params"]["severity"] = ["catastrophic"]
    _fails(raw, "bad_params")
    raw = _raw()
    raw["dimensions"][0]["indicators"][0]["scoring"]["bins"][0]["points"] = 120
    _fails(raw, "points_range")
    raw = copy.deepcopy(_raw())
    del raw["source"]
    _fails(raw, "schema")


def test_every_feature_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "evaluation.md").read_text(encoding="utf-8")
    for name, feature in FEATURES.items():
        assert f"`{name}`" in doc, name
        assert feature.description_zh and feature.description_en


def test_cli_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["evaluate", "validate", str(MODELS)])
    assert ok.exit_code == 0 and "enterprise 2026.2" in ok.output
    raw = _raw()
    raw["dimensions"][0]["weight"] = 0.3
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    bad = runner.invoke(app, ["evaluate", "validate", str(tmp_path)])
    assert bad.exit_code == 1 and "权重之和" in bad.output
