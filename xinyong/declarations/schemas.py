"""Shapes of the declarations API (the same shape as every subject-rights procedure: ``status``,
``lookup_code`` and ``deadlines`` in working days)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from xinyong.casework.schemas import AttachmentView, DeadlineView, LetterView, StepView


class AttachmentIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, description="文件内容（Base64）；按内容识别 PDF/JPG/PNG")


class DeclarationIn(BaseModel):
    declaration_type: str = Field(
        description="award 表彰荣誉 | qualification 资质证照与认证 | public_welfare 社会公益 | "
        "business_operation 市场经营 | contract_performance 合同履约 | other 其他"
    )
    title: str = Field(min_length=1, max_length=200, description="申报名称（如荣誉、证书名称）")
    content: str = Field("", max_length=4000, description="申报内容")
    valid_until: date | None = Field(None, description="有效期至（无则不填）")
    department_code: str = Field(min_length=1, max_length=64, description="负责核实的主管部门代码")
    subject_code: str | None = Field(None, description="主体代码（信用主体本人申报时省略）")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class StepIn(BaseModel):
    action: Literal["verify", "reject"] = Field(description="verify 核实 | reject 不予核实")
    text: str = Field("", max_length=4000, description="说明；不予核实时必填理由")
    on: date | None = Field(None, description="办理日期（默认今天）")


class DeclarationView(BaseModel):
    id: int
    subject_id: int
    subject_name: str
    subject_code: str | None
    declaration_type: str
    declaration_type_zh: str
    title: str
    content: str
    valid_until: date | None
    department_code: str
    department_name: str
    status: str
    status_zh: str
    verified_mark: str | None  # "经核实" once verified
    lookup_code: str | None
    filed_by: str
    filed_on: date
    filed_at: AwareDatetime
    decided_on: date | None
    reason: str
    record_id: int | None
    deadlines: list[DeadlineView]
    steps: list[StepView] = []
    attachments: list[AttachmentView] = []
    letters: list[LetterView] = []


class DeclarationPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[DeclarationView]


class KindView(BaseModel):
    code: str
    name_zh: str
    source: str


class OverdueView(BaseModel):
    declaration_id: int
    subject_name: str
    department_code: str
    step: str
    step_zh: str
    due_date: date
    working_days_late: int
    escalated: bool
