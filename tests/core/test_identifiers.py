"""USCC (GB 32100-2015) and resident ID number (GB 11643-1999) checks as a user sees them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from xinyong.core.identifiers import (
    USCC_ALPHABET,
    _diagnose_uscc,
    check_id,
    check_ric,
    check_uscc,
    describe_uscc,
    infer_kind,
    is_placeholder,
    make_ric,
    make_uscc,
    mask_id_number,
    org_code_check_char,
    ric_check_char,
    uscc_check_char,
    uscc_pairs,
)

# Codes printed on the business licences of well-known enterprises and institutions.
PUBLISHED_USCCS = [
    "91330000747735638J",
    "91330000734530895W",
    "91330100716105852F",
    "914403001922038216",
    "91440300708461136T",
    "9144030071526726XG",
    "91110000710926094P",
    "91100000100003962T",
    "91110000600037341L",
    "91350200MA2YJ1XR9G",
    "91440101MA5CJQ4N59",
    "123502001549897397",
]


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_published_codes_are_valid_with_matching_organisation_code(code: str) -> None:
    result = check_uscc(code)
    assert result.valid and result.error is None
    assert result.inner_check == "ok"
    assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    ("authority", "entity_type", "name"),
    [
        ("A", "1", "军队事业单位"),
        ("A", "9", "其他"),
        ("N", "1", "组级集体经济组织"),
        ("N", "2", "村级集体经济组织"),
        ("N", "3", "乡镇级集体经济组织"),
        ("N", "9", "其他"),
        ("Y", "1", "其他"),
    ],
)
def test_a_n_y_codes_are_valid_where_stdnum_rejects_them(authority: str, entity_type: str, name: str) -> None:
    code = make_uscc(authority, entity_type, "331002", "MA2H7K3P")
    result = check_uscc(code)
    assert result.valid and result.inner_check == "ok"
    assert describe_uscc(code) is not None and describe_uscc(code)[1] == name  # type: ignore[index]
    assert not stdnum_uscc.is_valid(code)  # the reason Xinyong does not use python-stdnum


def test_constructed_codes_of_every_authority_are_valid() -> None:
    for pair in sorted(uscc_pairs()):
        code = make_uscc(pair[0], pair[1], "331000", "12345678")
        assert check_uscc(code).valid, code
    assert {"91", "92", "93", "11", "12", "51", "52", "53", "A1", "N3", "Y1"} <= uscc_pairs()


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("9133010071610585", "uscc.length"),
        ("913301007161058522F", "uscc.length"),
        ("", "uscc.length"),
        ("9133010071610585IF", "uscc.charset"),
        ("91330100716105852O", "uscc.charset"),
        ("9133010071610585-F", "uscc.charset"),
        ("B1330100716105852F", "uscc.authority"),
        ("0133010071610585XF", "uscc.authority"),
        ("94330100716105852F", "uscc.entity_type"),
        ("99330100716105852F", "uscc.entity_type"),
        ("Y2330100716105852F", "uscc.entity_type"),
        ("9133A100716105852F", "uscc.division"),
        ("91330100716105852E", "uscc.check_char"),
        # In circulation with a wrong check character (whitelisted by some systems): still invalid.
        ("91350203M0001QAY9B", "uscc.check_char"),
    ],
)
def test_each_rule_is_named(code: str, rule: str) -> None:
    result = check_uscc(code)
    assert not result.valid
    assert result.error == rule
    assert result.message_zh and any("\u4e00" <= ch <= "\u9fff" for ch in result.message_zh)
    assert result.to_dict() == {
        "code": result.code,
        "kind": "uscc",
        "valid": False,
        "error": rule,
        "inner_check": None,
    }


def test_inner_check_mismatch_stays_valid() -> None:
    good = make_uscc("9", "1", "331002", "71610585")
    first17 = good[:16] + ("3" if good[16] != "3" else "4")
    code = first17 + uscc_check_char(first17)
    result = check_uscc(code)
    assert result.valid and result.error is None
    assert result.inner_check == "mismatch"  # a 错码 candidate for governance, not a rejection
    assert result.to_dict() == {
        "code": code,
        "kind": "uscc",
        "valid": True,
        "error": None,
        "inner_check": "mismatch",
    }


def test_input_is_normalised() -> None:
    assert check_uscc("  91330100716105852f\n").code == "91330100716105852F"
    assert check_uscc("９１３３０１００７１６１０５８５２Ｆ").valid  # full-width, as pasted from Word
    assert check_ric(" 33100219800517123x ").code == "33100219800517123X"


def test_check_character_helpers() -> None:
    assert uscc_check_char("91330100716105852") == "F"
    assert org_code_check_char("71610585") == "2"
    assert org_code_check_char("MA2YJ1XR") == "9"
    assert ric_check_char("11010519491231002") == "X"  # the GB 11643 standard's own example
    with pytest.raises(ValueError):
        uscc_check_char("9133010071610585I")
    with pytest.raises(ValueError):
        make_uscc("9", "4", "331002", "71610585")


# --- resident ID numbers -------------------------------------------------------------------------
def test_ric_valid_and_region_newer_than_birth() -> None:
    assert check_ric("11010519491231002X").valid
    # 331002 椒江区 was created in 1994; someone born in 1980 keeps the code of the issuing office.
    code = make_ric("331002", date(1980, 5, 17), 123)
    assert check_ric(code).valid
    assert not stdnum_ric.is_valid(code)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("33100219800517123", "ric.length"),
        ("331002800517123", "ric.length"),  # 15-digit pre-1999 number
        ("3310021980051712AX", "ric.charset"),
        ("33100219800517123Y", "ric.charset"),
        ("331002198002301230", "ric.birth_date"),
        ("331002180001011230", "ric.birth_date"),
        ("331002203001011230", "ric.future_birth"),
        ("331002198005171237", "ric.check_char"),
    ],
)
def test_ric_rules(code: str, rule: str) -> None:
    result = check_ric(code, today=date(2026, 3, 1))
    assert not result.valid and result.error == rule and result.message_zh
    assert result.to_dict() == {"code": result.code, "kind": "ric", "valid": False, "error": rule}


def test_future_birth_relative_to_today() -> None:
    code = make_ric("331002", date(2026, 3, 2), 1)
    assert check_ric(code, today=date(2026, 3, 1)).error == "ric.future_birth"
    assert check_ric(code, today=date(2026, 3, 2)).valid
    assert stdnum_ric.is_valid(code)  # stdnum has no notion of "today"


def test_kind_inference() -> None:
    assert infer_kind("91330100716105852F") == "uscc"
    assert infer_kind("11010519491231002X") == "ric"
    assert infer_kind("914403001922038216") == "uscc"  # all digits, a valid USCC, not a valid RIC
    assert infer_kind("11010519491231002Y") == "uscc"
    assert infer_kind("110105194912310021") == "ric"  # RIC-shaped with a bad check: reported as RIC
    assert check_id("11010519491231002X").kind == "ric"
    assert check_id("914403001922038216", kind="ric").error == "ric.region"  # 91 names no province


@pytest.mark.parametrize(
    "code",
    [
        "00000000000000000X",
        "000000000000000000",
        "111111111111111111",
        "无",
        "/",
        "—",
        "  ",
        "",
        "N/A",
        "91331002000000000X",
    ],
)
def test_placeholders(code: str) -> None:
    assert is_placeholder(code)


@pytest.mark.parametrize("code", [*PUBLISHED_USCCS[:3], "11010519491231002X"])
def test_real_codes_are_not_placeholders(code: str) -> None:
    assert not is_placeholder(code)


def test_masking() -> None:
    assert mask_id_number("33100219800517123X") == "331002********123X"
    assert mask_id_number("331002800517123") == "331002*****7123"
    assert mask_id_number("1234") == "****"


# --- properties -------------------------------------------------------------------------------
_PAIRS = sorted(uscc_pairs())
any_pair_codes = st.tuples(
    st.sampled_from(_PAIRS),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=8, max_size=8),
).map(lambda t: make_uscc(t[0][0], t[0][1], t[1], t[2]))


@settings(max_examples=300, deadline=None)
@given(any_pair_codes)
def test_every_generated_uscc_validates(code: str) -> None:
    result = check_uscc(code)
    assert result.valid and result.inner_check == "ok"


@settings(max_examples=60, deadline=None)
@given(any_pair_codes)
def test_every_single_substitution_is_caught(code: str) -> None:
    # MOD 31 with weights prime to 31 detects every single substitution over the 31-char alphabet.
    for pos in range(18):
        for ch in USCC_ALPHABET:
            if ch != code[pos]:
                changed = code[:pos] + ch + code[pos + 1 :]
                assert not check_uscc(changed).valid, changed


@settings(max_examples=500, deadline=None)
@given(st.text(USCC_ALPHABET + "IOZ -a", min_size=16, max_size=19))
def test_fast_path_agrees_with_rule_by_rule_check(code: str) -> None:
    fast = check_uscc(code)
    assert fast == _diagnose_uscc(fast.code)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([p for p in _PAIRS if p.isdigit()]),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=10, max_size=10),
    st.booleans(),
)
def test_same_verdict_as_stdnum_on_digit_prefixes(pair: str, division: str, rest: str, fix: bool) -> None:
    code = pair + division + rest
    if fix:  # half the examples carry a correct check character
        code = code[:17] + uscc_check_char(code[:17])
    assert check_uscc(code).valid == stdnum_uscc.is_valid(code)


# The region's first two digits name a province-level division (GB/T 2260); the rest is free.
PROVINCES = [f"{p:02d}" for p in [*range(11, 16), 21, 22, 23, *range(31, 38), *range(41, 47)]] + [
    *(f"{p}" for p in [*range(50, 55), *range(61, 66), 71, 81, 82, 83])
]
ric_codes = st.builds(
    make_ric,
    st.builds(str.__add__, st.sampled_from(PROVINCES), st.text("0123456789", min_size=4, max_size=4)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(0, 999),
)


@settings(max_examples=300, deadline=None)
@given(ric_codes)
def test_every_generated_ric_validates(code: str) -> None:
    assert check_ric(code, today=date(2026, 1, 1)).valid
    assert infer_kind(code) == "ric"


@settings(max_examples=100, deadline=None)
@given(ric_codes)
def test_every_single_ric_substitution_is_caught(code: str) -> None:
    for pos in range(18):
        for ch in "0123456789X":
            if ch != code[pos]:
                changed = code[:pos] + ch + code[pos + 1 :]
                assert not check_ric(changed, today=date(2026, 1, 1)).valid, changed


@pytest.mark.parametrize(
    "region", ["990426", "000000", "190000", "300000", "470000", "600000", "720000", "900000"]
)
def test_ric_whose_region_names_no_province_is_rejected(region: str) -> None:
    code = make_ric(region, date(1985, 6, 12), 123)  # a correct check character
    verdict = check_ric(code, today=date(2026, 1, 1))
    assert not verdict.valid and verdict.error == "ric.region"
    assert "省级行政区划" in (verdict.message_zh or "")


@pytest.mark.parametrize("region", ["110101", "331002", "650000", "710000", "810000", "820000", "830000"])
def test_ric_of_every_province_and_residence_permit_is_accepted(region: str) -> None:
    assert check_ric(make_ric(region, date(1985, 6, 12), 123), today=date(2026, 1, 1)).valid


def test_county_created_after_the_birth_year_is_still_accepted() -> None:
    # 331083 (玉环市) dates from 2017; a person born in 1960 may hold a number issued there.
    assert check_ric(make_ric("331083", date(1960, 3, 1), 12), today=date(2026, 1, 1)).valid
