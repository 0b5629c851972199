"""Catalog service: the catalog items and rule tables of the ruleset in force.

CONTRACT (filled in by the catalog work; other domains rely on these names and shapes).
Rule tables are data under ``rulesets/default/`` (effective-from dates and sources on every
entry); nothing here hard-codes a legal number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

Disclosure = Literal["public", "on_request", "government", "confidential"]  # 公开/依申请/政务共享/不予公开
Severity = Literal["minor", "general", "serious"]  # 轻微/一般/严重
FieldType = Literal["string", "text", "date", "decimal", "integer", "enum", "enum_multi", "uscc", "id_number"]

# Canonical field codes with a meaning the platform relies on (ingest, records, subjects).
# Every catalog item uses these codes for these roles; other fields are item-specific.
SUBJECT_NAME = "subject_name"  # 行政相对人名称  (XK_XDR_MC / CF_XDR_MC)
SUBJECT_CATEGORY = "subject_category"  # 行政相对人类别 (法人及非法人组织 / 自然人 / 个体工商户)
USCC = "uscc"  # 统一社会信用代码 (XK_XDR_SHXYM / CF_XDR_SHXYM)
ID_TYPE = "id_type"  # 自然人证件类型
ID_NUMBER = "id_number"  # 自然人证件号码 (XK_XDR_ZJHM / CF_XDR_ZJHM / CF_XDR_SFZ)
LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代表人 (XK_FRDB / CF_FRDB / CF_FR)
DOCUMENT_NUMBER = "document_number"  # 决定文书号 (XK_WSH / CF_WSH): with provider+item the record key
DECISION_DATE = "decision_date"  # 决定日期 (XK_JDRQ / CF_JDRQ)
PENALTY_TYPES = "penalty_types"  # 处罚类别 (CF_CFLB; old CF_CFLB1/CF_CFLB2), several joined by ";"
FINE_AMOUNT = "fine_amount"  # 罚款金额（万元） (CF_NR_FK)
SEVERITY = "severity"  # 失信程度 when the provider sends one (轻微/一般/严重)
OPERATION = "operation"  # 操作类型: 新增 / 更正 / 撤销 (add / correct / withdraw); optional
SECTOR = "sector"  # 所属行业领域 for sector-specific severity thresholds; optional


class EnumOption(BaseModel):
    code: str
    label: str  # Chinese label; either code or label is accepted on input
    aliases: list[str] = []


class FieldSpec(BaseModel):
    code: str  # Xinyong field code (canonical ones above, else item-specific snake_case)
    name_zh: str
    name_en: str
    type: FieldType = "string"
    required: bool = False
    enum: list[EnumOption] | None = None
    max_length: int | None = None
    disclosure: Disclosure = "public"
    # Header spellings accepted on input: national codes of both editions, Chinese names.
    aliases: list[str] = []
    description: str = ""


class CatalogItem(BaseModel):
    code: str  # e.g. "administrative_licence", "administrative_penalty"
    name_zh: str
    name_en: str
    category: str  # 行政许可 / 行政处罚 / 司法判决 / 失信被执行人 / 信用承诺 / 表彰荣誉 / ...
    polarity: Literal["positive", "negative", "neutral"]
    subject_kinds: list[str]
    source_departments: list[str] = []  # provider codes or "*"
    fields: list[FieldSpec]
    publicity: str  # a rule key in publicity.yaml, e.g. "negative_by_severity" / "licence" / "none"
    double_publicity: bool = False  # 双公示: subject to the 7-working-day timeliness rule
    update_frequency: str = ""
    effective_from: date
    source: str

    def field(self, code: str) -> FieldSpec:
        raise NotImplementedError


@dataclass(frozen=True)
class PublicityWindow:
    rule_id: str  # e.g. "order36-2026/general"
    start: date
    min_end: date | None
    end: date | None  # None = no end (e.g. licences shown while valid)


@dataclass(frozen=True)
class SeverityDecision:
    severity: Severity | None
    rule_id: str  # which rule decided it, e.g. "provider" or "severity/penalty_types/吊销许可证件"


class Catalog:
    """The loaded ruleset: items and rule tables."""

    def item(self, code: str) -> CatalogItem:
        """The item, or ``NotFound`` (code ``catalog.unknown_item``)."""
        raise NotImplementedError

    def items(self) -> list[CatalogItem]:
        raise NotImplementedError

    def resolve_header(self, item_code: str, header: str) -> str | None:
        """Map a raw header (national code any case/edition, Xinyong code, Chinese name with
        full-width brackets or stray spaces) to the item's field code, or None."""
        raise NotImplementedError

    def publicity_window(
        self, item: CatalogItem, severity: Severity | None, decision_date: date, published_on: date
    ) -> PublicityWindow | None:
        """The window chosen by the rule in force on ``decision_date``."""
        raise NotImplementedError

    def derive_severity(self, item: CatalogItem, data: dict[str, Any]) -> SeverityDecision:
        raise NotImplementedError

    def timeliness_limit_working_days(self, item: CatalogItem, decision_date: date) -> int | None:
        """Working days allowed between decision and receipt (双公示: 7), or None."""
        raise NotImplementedError


def get_catalog() -> Catalog:
    """The catalog of the configured ruleset directory (cached)."""
    raise NotImplementedError


def xlsx_template(item_code: str) -> bytes:
    """A downloadable XLSX template: Chinese headers, enum dropdowns, one example row."""
    raise NotImplementedError
