"""Subject kinds: the 行政相对人类别 labels records use mapped to a subject kind, and the check of a
kind code."""

from __future__ import annotations

from xinyong.core.errors import InvalidInput
from xinyong.subjects.common import clean_code, name_key
from xinyong.subjects.models import SUBJECT_KINDS

# The Chinese names of subject kinds and relation roles (GLOSSARY: subject): every face (portal,
# reports, CLI) shows these.
KIND_ZH = {
    "enterprise": "企业",
    "organisation": "机关、事业单位及社会组织",
    "individual_business": "个体工商户",
    "natural_person": "自然人",
}
ROLE_ZH = {
    "legal_representative": "法定代表人",
    "shareholder": "股东",
    "branch": "分支机构",
    "controller": "实际控制人",
    "key_personnel": "主要人员",
    "principal": "主要负责人",
}

# The 行政相对人类别 (双公示 standard) of each subject kind, as a record says it of its subject.
CATEGORY_OF_KIND = {
    "enterprise": "法人及非法人组织",
    "organisation": "法人及非法人组织",
    "individual_business": "个体工商户",
    "natural_person": "自然人",
}

# 行政相对人类别 labels (双公示 standard) and a few spellings seen in exports.
_CATEGORY_KINDS: dict[str, str | None] = {
    "自然人": "natural_person",
    "个体工商户": "individual_business",
    "个体户": "individual_business",
    # Legal persons and unincorporated organisations: the USCC decides (below).
    "法人及非法人组织": None,
    "法人和非法人组织": None,
    "法人": None,
    "非法人组织": None,
    "法人或其他组织": None,
    "其他组织": None,
}


# Kind codes are accepted as labels too (name_key upper-cases them).
_KIND_CODES = {k.upper(): k for k in SUBJECT_KINDS}


def kind_from_category(label: str | None, uscc: str | None = None) -> str:
    """Map 行政相对人类别 (法人及非法人组织 / 自然人 / 个体工商户) and the USCC to a subject kind.

    自然人 → natural_person; 个体工商户 → individual_business. For 法人及非法人组织 (or no label)
    the USCC decides, by its registration-authority and entity-type characters (GB 32100-2015
    code table): authority 9 (工商/市场监管) entity 2 → individual_business (个体工商户 are often
    sent as 法人及非法人组织), other 9x (企业, 农民专业合作社) → enterprise; every other authority
    (1 机构编制, 5 民政, 3 司法行政, 8 工会, 7 宗教, N 农业 collective economic organisations, Y ...)
    → organisation. Without a USCC: enterprise. A subject-kind code is accepted as the label too.
    """
    key = name_key(label or "")
    if key in _KIND_CODES:
        return _KIND_CODES[key]
    kind = _CATEGORY_KINDS.get(key)
    if kind is not None:
        return kind
    code = clean_code(uscc or "")
    if len(code) >= 2:
        if code[0] == "9":
            return "individual_business" if code[1] == "2" else "enterprise"
        return "organisation"
    return "enterprise"


def _check_kind(kind: str) -> str:
    if kind not in SUBJECT_KINDS:
        raise InvalidInput(
            f"Unknown subject kind {kind!r}",
            "主体类别不正确",
            code="subject.unknown_kind",
            field="kind",
            value=kind,
            allowed=list(SUBJECT_KINDS),
        )
    return kind
