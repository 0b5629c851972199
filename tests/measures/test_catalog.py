"""The measure catalog as data and its validator: legal basis required, references known, and
the proportionality guard (过惩相当): a trigger class beyond what the basis allows is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from xinyong.catalog.ruleset import RulesetError
from xinyong.measures.catalog import get_measures, load_measures, measures_dir


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "measures"
    shutil.copytree(measures_dir(), target)
    return target


def _edit_punishment(directory: Path, code: str, **changes: object) -> None:
    path = directory / "punishments.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    (m,) = [m for m in doc["measures"] if m["code"] == code]
    for k, v in changes.items():
        if v is None:
            m.pop(k, None)
        else:
            m[k] = v
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_default_catalog() -> None:
    cat = get_measures()
    assert {m.kind for m in cat.measures.values()} == {"reward", "punishment"}
    names = {m.name_zh for m in cat.measures.values()}
    assert {
        "容缺受理",
        "限制参加政府采购活动",
        "限制享受财政资金补助等政策扶持",
        "限制评优评先（表彰奖励）",
    } <= names
    assert (
        any("绿色通道" in n for n in names)
        and any("降低抽查" in n for n in names)
        and any("加大抽查" in n for n in names)
    )
    for m in cat.measures.values():
        assert m.bases and m.department and m.matters and m.source and m.effective_from
        for b in m.bases:
            assert cat.bases[b].law and cat.bases[b].article
    assert cat.feedback.due_working_days == 10


@pytest.mark.parametrize(
    ("code", "changes", "rule"),
    [
        ("P01", {"bases": []}, "no_basis"),
        ("P01", {"bases": ["zj_99"]}, "unknown_basis"),
        ("P01", {"matters": ["space_launch"]}, "unknown_matter"),
        # 浙江条例第二十六条 covers only the 严重失信名单: a general penalty cannot trigger it.
        (
            "P01",
            {"when": [{"records": {"items": ["administrative_penalty"], "severity": ["general"]}}]},
            "basis_does_not_allow",
        ),
        # Minor records never trigger a punishment (深圳条例第六十七条), whatever the basis.
        (
            "P07",
            {"when": [{"records": {"items": ["administrative_penalty"], "severity": ["minor"]}}]},
            "punishment_never",
        ),
        ("P07", {"when": [{"lists": ["red_list"]}]}, "kind_mismatch"),
        ("P07", {"when": [{"lists": ["pink_list"]}]}, "unknown_list"),
        ("P07", {"when": [{"grades": ["C"]}]}, "unknown_grade"),
        ("P07", {"when": [{"records": {"items": ["administrative_penalty"]}}]}, "records_need_severity"),
    ],
)
def test_validator_rejects(tmp_path: Path, code: str, changes: dict[str, object], rule: str) -> None:
    directory = _copy(tmp_path)
    _edit_punishment(directory, code, **changes)
    with pytest.raises(RulesetError) as err:
        load_measures(directory)
    assert err.value.details.get("rule") == rule or rule in str(err.value.details), err.value.details
    assert "punishments.yaml" in err.value.message_zh


def test_validator_accepts_what_the_basis_allows(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    # 浙江条例第二十三条 covers general negative information: a general penalty may trigger P07.
    _edit_punishment(
        directory, "P07", when=[{"records": {"items": ["administrative_penalty"], "severity": ["general"]}}]
    )
    assert load_measures(directory).measures["P07"].when[0].records is not None


def test_cli_validate(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from xinyong.cli import app

    ok = CliRunner().invoke(app, ["measures", "validate"])
    assert ok.exit_code == 0 and "ok" in ok.output
    directory = _copy(tmp_path)
    _edit_punishment(directory, "P01", bases=[])
    bad = CliRunner().invoke(app, ["measures", "validate", str(directory)])
    assert bad.exit_code == 2 and "没有法律依据" in bad.output
