"""Loading the ruleset: the shipped data is complete, and a city's mistakes are named clearly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.conftest import ITEMS, Editor
from xinyong.catalog.ruleset import RulesetError
from xinyong.catalog.service import (
    DECISION_DATE,
    DOCUMENT_NUMBER,
    OPERATION,
    SUBJECT_NAME,
    Catalog,
    get_catalog,
    load_catalog,
    reset_catalog_cache,
)


def test_default_ruleset_has_the_required_items(catalog: Catalog) -> None:
    assert {i.code for i in catalog.items()} >= set(ITEMS)
    assert catalog.meta.name == "default" and catalog.meta.source
    for item in catalog.items():
        assert item.source and item.effective_from
        for code in (SUBJECT_NAME, DOCUMENT_NUMBER, DECISION_DATE):
            assert item.field(code).required
        assert not item.field(OPERATION).required  # 操作类型 is optional everywhere


def test_double_publicity_items(catalog: Catalog) -> None:
    dp = {i.code for i in catalog.items() if i.double_publicity}
    # The ten kinds of administrative action of the 7-working-day rule, one item each.
    assert len(dp) == 10 and {"administrative_licence", "administrative_penalty"} <= dp
    assert {catalog.item(c).action_kind for c in dp} == catalog.timeliness_rules.codes()
    assert catalog.item("administrative_licence").polarity == "positive"
    assert catalog.item("administrative_penalty").polarity == "negative"
    assert catalog.item("dishonest_judgment_debtor").polarity == "negative"


def test_disclosure_levels(catalog: Catalog) -> None:
    penalty = catalog.item("administrative_penalty")
    assert penalty.field("legal_representative_id_number").disclosure == "confidential"  # CF_FR_ZJHM
    assert penalty.field("id_number").disclosure == "government"
    assert penalty.field("violation_facts").disclosure == "public"
    licence = catalog.item("administrative_licence")
    assert licence.field("legal_representative_id_number").disclosure == "confidential"  # XK_FR_ZJHM


def test_enumerations(catalog: Catalog) -> None:
    licence = catalog.item("administrative_licence")
    assert [(o.code, o.label) for o in licence.field("licence_category").enum or []] == [
        ("01", "普通"),
        ("02", "特许"),
        ("03", "认可"),
        ("04", "核准"),
        ("05", "登记"),
        ("06", "其他"),
    ]
    assert [(o.code, o.label) for o in licence.field("status").enum or []] == [("1", "有效"), ("2", "无效")]
    penalty_types = {o.code for o in catalog.item("administrative_penalty").field("penalty_types").enum or []}
    assert {
        "警告",
        "通报批评",
        "罚款",
        "吊销许可证件",
        "责令关闭",
        "限制从业",
        "行政拘留",
        "其他",
    } <= penalty_types
    assert len(penalty_types) == 14  # 行政处罚法 2021 第九条, plus 其他
    commitment = catalog.item("credit_commitment").field("commitment_type")
    assert [o.label for o in commitment.enum or []] == [
        "审批替代型",
        "容缺受理型",
        "信用修复型",
        "行业自律型",
        "主动型",
    ]


def test_get_catalog_is_cached_per_directory_and_reset(ruleset_copy: Path, edit: Editor) -> None:
    first = get_catalog()
    assert first.directory == ruleset_copy.resolve()
    assert get_catalog() is first
    edit("ruleset.yaml", lambda d: d.update(version="city-7"))
    assert get_catalog().meta.version == first.meta.version  # cached until reset
    reset_catalog_cache()
    assert get_catalog().meta.version == "city-7"


def _raises(directory: Path) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        load_catalog(directory)
    assert info.value.code == "catalog.ruleset_invalid"
    assert info.value.message_zh.startswith("规则集文件")
    return info.value


def _field(code: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: next(f for f in data["fields"] if f["code"] == code)


def test_unknown_key_is_named(ruleset_copy: Path, edit: Editor) -> None:
    edit("catalog/honour.yaml", lambda d: _field("honour_name")(d).update(requird=True))
    err = _raises(ruleset_copy)
    assert err.details["file"].endswith("honour.yaml")
    assert any("requird" in e["loc"] and e["type"] == "extra_forbidden" for e in err.details["errors"])


def test_duplicate_field_code(ruleset_copy: Path, edit: Editor) -> None:
    edit("catalog/honour.yaml", lambda d: d["fields"].append(dict(_field("honour_name")(d), aliases=[])))
    err = _raises(ruleset_copy)
    assert err.details["rule"] == "duplicate_field" and err.details["field"] == "honour_name"
    assert "honour_name" in err.message_zh


@pytest.mark.parametrize(
    ("key", "value"),
    [("type", "strng"), ("disclosure", "secret")],
)
def test_bad_enum_value_in_a_field(ruleset_copy: Path, edit: Editor, key: str, value: str) -> None:
    edit("catalog/administrative_penalty.yaml", lambda d: _field("remarks")(d).update({key: value}))
    err = _raises(ruleset_copy)
    assert any(e["loc"].endswith(key) and e["type"] == "literal_error" for e in err.details["errors"])


def test_bad_severity_class_in_publicity(ruleset_copy: Path, edit: Editor) -> None:
    def change(d: dict[str, Any]) -> None:
        classes = d["rules"]["negative_by_severity"]["versions"][0]["classes"]
        classes["grave"] = classes.pop("serious")

    edit("publicity.yaml", change)
    err = _raises(ruleset_copy)
    assert err.details["file"].endswith("publicity.yaml")


def test_entries_need_effective_from_and_source(ruleset_copy: Path, edit: Editor) -> None:
    edit("severity.yaml", lambda d: d["penalty_types"][0].pop("source"))
    err = _raises(ruleset_copy)
    assert any(e["loc"] == "penalty_types.0.source" and e["type"] == "missing" for e in err.details["errors"])


def test_duplicate_yaml_key(ruleset_copy: Path) -> None:
    path = ruleset_copy / "timeliness.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    working_days: 7\n", "    working_days: 7\n    working_days: 5\n", 1), "utf-8"
    )
    err = _raises(ruleset_copy)
    assert err.details["rule"] == "yaml_syntax" and "duplicate key" in err.message


def test_ambiguous_header_alias(ruleset_copy: Path, edit: Editor) -> None:
    # 罚款金额 already names fine_amount: giving it to another field too is ambiguous.
    edit(
        "catalog/administrative_penalty.yaml",
        lambda d: _field("confiscation_amount")(d)["aliases"].append("罚款金额"),
    )
    err = _raises(ruleset_copy)
    assert err.details["rule"] == "ambiguous_header"


def test_ambiguous_enum_value(ruleset_copy: Path, edit: Editor) -> None:
    edit(
        "catalog/administrative_licence.yaml",
        lambda d: _field("licence_category")(d)["enum"][1]["aliases"].append("普通"),
    )
    err = _raises(ruleset_copy)
    assert err.details["rule"] == "enum"


def test_canonical_field_must_keep_its_type(ruleset_copy: Path, edit: Editor) -> None:
    edit("catalog/administrative_penalty.yaml", lambda d: _field("decision_date")(d).update(type="string"))
    assert _raises(ruleset_copy).details["rule"] == "canonical_type"


def test_unknown_publicity_rule(ruleset_copy: Path, edit: Editor) -> None:
    edit("catalog/honour.yaml", lambda d: d.update(publicity="forever"))
    assert _raises(ruleset_copy).details["rule"] == "unknown_publicity_rule"


def test_severity_names_unknown_penalty_type(ruleset_copy: Path, edit: Editor) -> None:
    edit("severity.yaml", lambda d: d["penalty_types"][0].update(type="打板子"))
    err = _raises(ruleset_copy)
    assert err.details["rule"] == "unknown_penalty_type" and err.details["value"] == "打板子"


def test_publicity_versions_must_not_leave_gaps(ruleset_copy: Path, edit: Editor) -> None:
    edit(
        "publicity.yaml",
        lambda d: d["rules"]["negative_by_severity"]["versions"][1].update(effective_until="2026-03-01"),
    )
    err = _raises(ruleset_copy)
    assert any("order58-2023" in e["message"] for e in err.details["errors"])


def test_missing_file(ruleset_copy: Path) -> None:
    (ruleset_copy / "severity.yaml").unlink()
    assert _raises(ruleset_copy).details["rule"] == "file_missing"
