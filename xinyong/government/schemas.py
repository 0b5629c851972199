"""API shapes of the government domain."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime


class BodyIn(BaseModel):
    code: str = Field(min_length=18, max_length=18, description="统一社会信用代码（11/12 开头）")
    superior_name: str = Field(min_length=1, max_length=200)
    superior_department_code: str | None = Field(default=None, max_length=64)
    department_code: str | None = Field(
        default=None, max_length=64, description="本单位作为信息提供单位的代码"
    )


class BodyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject_id: int
    code: str
    name: str
    body_type: str
    division_code: str | None
    department_code: str | None
    superior_name: str
    superior_department_code: str | None


class IndicatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    value: float | None
    points: float
    rule_zh: str


class BodyScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    body: BodyOut
    score: float
    grade: str
    grade_zh: str
    veto: str | None
    rank: int
    indicators: list[IndicatorOut]
    notices: int


class RankingOut(BaseModel):
    model_code: str
    model_version: str
    source: str
    bodies: list[BodyScoreOut]


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    record_id: int
    subject_id: int
    subject_name: str
    body_subject_id: int
    body_name: str
    kind: str
    item_code: str
    item_name: str
    document_number: str
    recipients: list[dict[str, Any]]
    text_zh: str
    source: str
    created_at: UtcDateTime


class NoticePageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    items: list[NoticeOut]
    total: int
    page: int
    per_page: int
