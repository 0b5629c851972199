"""Header resolution and enum normalisation: the spellings real 双公示 exports use."""

from __future__ import annotations

import pytest

from xinyong.catalog.service import Catalog, combine_columns, normalise_enum

LICENCE = "administrative_licence"
PENALTY = "administrative_penalty"

# The national 双公示 codes (2019 edition) and the field each must land on.
CURRENT_PENALTY = {
    "CF_XDR_MC": "subject_name",
    "CF_XDR_LB": "subject_category",
    "CF_XDR_SHXYM": "uscc",
    "CF_XDR_GSZC": "registration_number",
    "CF_XDR_ZZJG": "organisation_code",
    "CF_XDR_SWDJ": "tax_registration_number",
    "CF_XDR_SYDW": "institution_certificate_number",
    "CF_XDR_SHZZ": "social_organisation_number",
    "CF_FRDB": "legal_representative",
    "CF_FR_ZJLX": "legal_representative_id_type",
    "CF_FR_ZJHM": "legal_representative_id_number",
    "CF_XDR_ZJLX": "id_type",
    "CF_XDR_ZJHM": "id_number",
    "CF_WSH": "document_number",
    "CF_WFXW": "violation_type",
    "CF_SY": "violation_facts",
    "CF_YJ": "legal_basis",
    "CF_CFLB": "penalty_types",
    "CF_NR": "penalty_content",
    "CF_NR_FK": "fine_amount",
    "CF_NR_WFFF": "confiscation_amount",
    "CF_NR_ZKDX": "suspended_licence",
    "CF_JDRQ": "decision_date",
    "CF_YXQ": "penalty_valid_until",
    "CF_GSJZQ": "publicity_deadline",
    "CF_CFJG": "authority",
    "CF_CFJGDM": "authority_code",
    "CF_SJLY": "source_unit",
    "CF_SJLYDM": "source_unit_code",
    "BZ": "remarks",
}
# The older (pre-2019) edition, mapped onto the current fields.
OLD_PENALTY = {
    "CF_CFMC": "violation_type",
    "CF_CFLB1": "penalty_types",
    "CF_CFLB2": "penalty_types",
    "CF_XDR_ZDM": "organisation_code",
    "CF_XDR_GSDJ": "registration_number",
    "CF_XDR_SFZ": "id_number",
    "CF_FR": "legal_representative",
    "CF_JG": "penalty_content",
    "CF_XZJG": "authority",
    "CF_ZT": "status",
    "DFBM": "division_code",
    "SJC": "source_updated_at",
}
LICENCE_CODES = {
    "XK_XDR_MC": "subject_name",
    "XK_XDR_LB": "subject_category",
    "XK_XDR_SHXYM": "uscc",
    "XK_XDR_GSZC": "registration_number",
    "XK_XDR_ZZJG": "organisation_code",
    "XK_XDR_SWDJ": "tax_registration_number",
    "XK_XDR_SYDW": "institution_certificate_number",
    "XK_XDR_SHZZ": "social_organisation_number",
    "XK_FRDB": "legal_representative",
    "XK_FR_ZJLX": "legal_representative_id_type",
    "XK_FR_ZJHM": "legal_representative_id_number",
    "XK_XDR_ZJLX": "id_type",
    "XK_XDR_ZJHM": "id_number",
    "XK_XKWS": "licence_document_name",
    "XK_WSH": "document_number",
    "XK_XKLB": "licence_category",
    "XK_XKZS": "certificate_name",
    "XK_XKBH": "licence_number",
    "XK_NR": "licence_content",
    "XK_JDRQ": "decision_date",
    "XK_YXQZ": "valid_from",
    "XK_YXQZI": "valid_until",
    "XK_XKJG": "authority",
    "XK_XKJGDM": "authority_code",
    "XK_ZT": "status",
    "XK_LYDW": "source_unit",
    "XK_LYDWDM": "source_unit_code",
    "BZ": "remarks",
}


@pytest.mark.parametrize(("header", "field"), sorted({**CURRENT_PENALTY, **OLD_PENALTY}.items()))
def test_penalty_codes_of_both_editions_in_any_case(catalog: Catalog, header: str, field: str) -> None:
    assert catalog.resolve_header(PENALTY, header) == field
    assert catalog.resolve_header(PENALTY, header.lower()) == field
    assert catalog.resolve_header(PENALTY, f" {header.lower()} ") == field


@pytest.mark.parametrize(("header", "field"), sorted(LICENCE_CODES.items()))
def test_licence_codes(catalog: Catalog, header: str, field: str) -> None:
    assert catalog.resolve_header(LICENCE, header) == field
    assert catalog.resolve_header(LICENCE, header.lower()) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("行政相对人名称", "subject_name"),
        ("行政相对人名称*", "subject_name"),
        ("＊行政相对人名称", "subject_name"),
        ("行政相对人　名称", "subject_name"),  # full-width space inside
        (" 行政相对人名称 ", "subject_name"),
        ("\ufeff行政相对人名称", "subject_name"),  # BOM of a UTF-8 CSV stuck to the first header
        ("行政相对人名称（必填）", "subject_name"),
        ("行政相对人代码_1(统一社会信用代码)", "uscc"),
        ("行政相对人代码_1（统一社会信用代码）", "uscc"),
        ("行政相对人代码＿１（统一社会信用代码）", "uscc"),
        ("统一社会信用代码（行政相对人代码_1）", "uscc"),
        ("行政相对人代码_3(组织机构代码)", "organisation_code"),
        ("罚款金额（万元）", "fine_amount"),
        ("罚款金额(万元)", "fine_amount"),
        ("罚款金额【万元】", "fine_amount"),
        ("罚款金额", "fine_amount"),
        ("没收违法所得、没收非法财物的金额（万元）", "confiscation_amount"),
        ("处罚类别1", "penalty_types"),
        ("处罚决定日期", "decision_date"),
        ("行政处罚决定书文号：", "document_number"),
        ("处罚名称", "violation_type"),
        ("法定代表人姓名", "legal_representative"),
        ("居民身份证号", "id_number"),
        ("操作类型", "operation"),
        ("CZLX", "operation"),
        ("Fine amount (10,000 CNY)", "fine_amount"),
        ("fine_amount", "fine_amount"),  # Xinyong's own codes
        ("DOCUMENT_NUMBER", "document_number"),
    ],
)
def test_messy_chinese_headers(catalog: Catalog, header: str, field: str) -> None:
    assert catalog.resolve_header(PENALTY, header) == field


@pytest.mark.parametrize("header", ["", "   ", "列1", "XK_XDR_MC", "许可类别", "Unnamed: 3"])
def test_unknown_headers_resolve_to_none(catalog: Catalog, header: str) -> None:
    assert catalog.resolve_header(PENALTY, header) is None


def test_unknown_item_is_not_found(catalog: Catalog) -> None:
    from xinyong.core.errors import NotFound

    with pytest.raises(NotFound) as info:
        catalog.resolve_header("parking_tickets", "CF_XDR_MC")
    assert info.value.code == "catalog.unknown_item"


def test_every_item_resolves_its_own_names(catalog: Catalog) -> None:
    for item in catalog.items():
        for spec in item.fields:
            for spelling in (spec.code, spec.name_zh, *spec.aliases):
                assert catalog.resolve_header(item.code, spelling) == spec.code, (item.code, spelling)


def test_map_headers_reports_unknown_and_shared_columns(catalog: Catalog) -> None:
    mapped = catalog.map_headers(PENALTY, ["CF_XDR_MC", "CF_CFLB1", "CF_CFLB2", "随便", "CF_WSH"])
    assert mapped.columns == ["subject_name", "penalty_types", "penalty_types", None, "document_number"]
    assert mapped.unknown == ["随便"]
    assert mapped.shared == {"penalty_types": ["CF_CFLB1", "CF_CFLB2"]}
    spec = catalog.item(PENALTY).field("penalty_types")
    assert combine_columns(spec, ["罚款", "", "没收违法所得"]) == "罚款;没收违法所得"
    assert (
        combine_columns(catalog.item(PENALTY).field("subject_name"), [None, "甲公司", "乙公司"]) == "甲公司"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("licence_category", "01", "01"),
        ("licence_category", "1", "01"),
        ("licence_category", 1.0, "01"),  # Excel's number
        ("licence_category", "普通", "01"),
        ("licence_category", "普通许可", "01"),
        ("licence_category", " 特许 ", "02"),
        ("licence_category", "07", None),
        ("status", "有效", "1"),
        ("status", "2", "2"),
        ("subject_category", "法人及非法人组织", "法人及非法人组织"),
        ("subject_category", "个体户", "个体工商户"),
        ("id_type", "居民身份证", "身份证"),
        ("operation", "撤销", "withdraw"),
        ("operation", "U", "correct"),
        ("operation", "新增", "add"),
    ],
)
def test_normalise_enum(catalog: Catalog, field: str, value: object, expected: str | None) -> None:
    assert normalise_enum(catalog.item(LICENCE).field(field), value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("警告", ["警告"]),
        ("警告;罚款", ["警告", "罚款"]),
        ("警告；罚款", ["警告", "罚款"]),
        ("罚款、没收违法所得、没收非法财物", ["罚款", "没收违法所得", "没收非法财物"]),
        ("罚款, 吊销营业执照", ["罚款", "吊销许可证件"]),
        ("罚款;;罚款", ["罚款"]),
        (["罚款", "警告"], ["罚款", "警告"]),
        ("罚款;打板子", None),
        ("", None),
    ],
)
def test_normalise_enum_multi(catalog: Catalog, value: object, expected: list[str] | None) -> None:
    assert normalise_enum(catalog.item(PENALTY).field("penalty_types"), value) == expected


def test_normalise_enum_of_a_plain_field_is_none(catalog: Catalog) -> None:
    assert normalise_enum(catalog.item(PENALTY).field("subject_name"), "甲公司") is None
