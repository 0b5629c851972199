"""Request and response shapes of the subjects API. ID numbers appear masked; the full number only
in ``SubjectOut.id_number`` for the subject itself and credit-office staff with a purpose."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import DB_ID_MAX, UtcDateTime


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SubjectBriefOut(_Out):
    id: int
    kind: str
    name: str
    uscc: str | None = None
    id_number_masked: str | None = Field(None, description="身份证号码（脱敏）")
    provisional: bool = Field(description="临时主体：记录引用了主体库中未登记的代码，待人工核实")
    merged_into_id: int | None = None


class SubjectOut(_Out):
    id: int
    kind: str
    name: str
    uscc: str | None = None
    id_number_masked: str | None = Field(None, description="身份证号码（脱敏）")
    id_number: str | None = Field(
        None, description="完整身份证号码：仅本人查询，或信用办按查询用途查询时提供（均记入查询记录）"
    )
    former_names: list[str] = Field(description="曾用名")
    legal_representative: str | None = None
    address: str | None = None
    division_code: str | None = None
    industry: str | None = Field(None, description="GB/T 4754 门类")
    registered_on: date | None = None
    registered_capital: Decimal | None = Field(None, description="注册资本（万元）")
    status: str
    provisional: bool
    merged_into_id: int | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class RelationOut(_Out):
    id: int
    direction: Literal["outgoing", "incoming"] = Field(
        description="outgoing：关联方对本主体担任该角色；incoming：本主体对关联方担任该角色"
    )
    subject_id: int
    related_subject_id: int
    role: str
    since: date | None = None
    until: date | None = None
    source: str
    share_ratio: Decimal | None = None
    other: SubjectBriefOut


class SearchItemOut(_Out):
    subject: SubjectBriefOut
    match: Literal["code", "name", "prefix", "fragment"]
    matched_name: str | None = Field(None, description="命中的名称（可能是曾用名）")
    status: str
    division_code: str | None = None


class SearchPageOut(_Out):
    total: int
    page: int
    per_page: int
    items: list[SearchItemOut]


class CaseOut(_Out):
    id: int
    kind: str
    key: str
    code: str | None = None
    name: str | None = None
    subject_ids: list[int]
    subjects: list[SubjectBriefOut]
    details: dict[str, Any]
    status: str
    resolution: str | None = None
    resolution_detail: dict[str, Any]
    note: str
    resolved_by: str | None = None
    resolved_at: UtcDateTime | None = None
    created_at: UtcDateTime | None = None


class CasePageOut(_Out):
    total: int
    page: int
    per_page: int
    items: list[CaseOut]


class ResolveCaseIn(BaseModel):
    resolution: Literal["merge", "correct", "distinct", "confirm"] = Field(
        description="merge 合并 / correct 更正代码 / distinct 确认为不同主体 / confirm 确认（临时主体转正）"
    )
    by: str = Field(min_length=1, max_length=100, description="处理人")
    note: str = Field("", max_length=2000)
    target_subject_id: int | None = Field(
        None, ge=1, le=DB_ID_MAX, description="merge：保留的主体；correct：要更正代码的主体"
    )
    corrected_code: str | None = Field(None, max_length=32, description="correct：正确的代码")


class DetectOut(BaseModel):
    opened: int = Field(description="本次新建的治理事项数")


class GovernanceReportOut(_Out):
    by_kind: dict[str, dict[str, int]]
    open_total: int
    codes_total: int
    error_codes: int
    error_rate_per_10000: float = Field(description="重错码率（每万个代码）")
    target_per_10000: float | None = None
    target_source: str | None = None
    meets_target: bool | None = None
    extra: dict[str, Any] = {}
