"""Shapes of the commitments API (the same shape as every subject-rights procedure: ``status``,
``lookup_code`` and ``deadlines`` in working days)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from xinyong.casework.schemas import AttachmentView, DeadlineView, StepView


class AttachmentIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(min_length=1, description="文件内容（Base64）；按内容识别 PDF/JPG/PNG")


class CommitmentIn(BaseModel):
    commitment_type: str = Field(
        description="approval_substitute 审批替代型 | accept_with_gaps 容缺受理型 | "
        "industry_self_discipline 行业自律型 | voluntary 主动型 | repair 信用修复型"
    )
    matter: str = Field(min_length=1, max_length=200, description="承诺事项（如办理的许可事项）")
    department_code: str = Field(min_length=1, max_length=64, description="受理承诺的部门代码")
    subject_code: str | None = Field(None, description="主体代码（信用主体本人签署时省略）")


class StepIn(BaseModel):
    action: Literal["supply", "verify"] = Field(description="supply 补齐容缺材料 | verify 核查履约")
    outcome: Literal["fulfilled", "breached"] | None = Field(None, description="verify：已履约 | 未履约")
    text: str = Field("", max_length=4000, description="说明；认定未履约时必填理由")
    on: date | None = Field(None, description="办理日期（默认今天）")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class CommitmentView(BaseModel):
    id: int
    subject_id: int
    subject_name: str
    subject_code: str | None
    commitment_type: str
    commitment_type_zh: str
    matter: str
    department_code: str
    department_name: str
    status: str
    status_zh: str
    lookup_code: str | None
    signed_by: str
    signed_on: date
    signed_at: AwareDatetime
    valid_until: date
    letter_number: str | None
    text: str
    record_id: int | None
    decided_on: date | None
    reason: str
    deadlines: list[DeadlineView]
    steps: list[StepView] = []
    attachments: list[AttachmentView] = []


class CommitmentPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[CommitmentView]


class DepartmentCommitment(BaseModel):
    """A commitment a department sent through ingest (catalog item credit_commitment)."""

    record_id: int
    document_number: str
    commitment_type_zh: str
    matter: str
    accepting_unit: str
    decision_date: date | None
    valid_until: date | None
    fulfilment_zh: str
    signed_here: bool  # the record of a commitment signed on the platform


class SubjectCommitments(BaseModel):
    signed: list[CommitmentView]
    sent: list[DepartmentCommitment]


class TemplateView(BaseModel):
    code: str
    name_zh: str
    title_zh: str
    template_zh: str
    term_months: int
    supply_within_working_days: int | None
    source: str


class OverdueView(BaseModel):
    commitment_id: int
    subject_name: str
    department_code: str
    step: str
    step_zh: str
    due_date: date
    working_days_late: int
    escalated: bool


__all__ = [
    "AttachmentIn",
    "CommitmentIn",
    "CommitmentPage",
    "CommitmentView",
    "DepartmentCommitment",
    "OverdueView",
    "StepIn",
    "SubjectCommitments",
    "TemplateView",
]
