"""API shapes of credit repair: every procedure's JSON has ``status``, ``lookup_code`` and
``deadlines``. No fee field anywhere: repair is free."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from xinyong.casework.schemas import AttachmentView, DeadlineView, LetterView, StepView
from xinyong.core.params import UtcDateTime

Kind = Literal["penalty_publicity", "list_exit", "other_negative"]
Action = Literal["accept", "reject", "extend", "decide", "withdraw"]


class MaterialView(BaseModel):
    code: str
    name_zh: str
    required: bool
    source: str


class Eligibility(BaseModel):
    """Whether a repair may be applied for, shown before applying."""

    eligible: bool
    kind: str | None
    kind_zh: str | None
    record_id: int | None
    list_procedure_id: int | None
    target_zh: str
    reasons_zh: list[str]  # why not (empty when eligible)
    earliest_on: date | None  # the first day an application is possible (None: never / now)
    message_zh: str  # 可申请 / 尚不可申请，因为…，最早可于 YYYY-MM-DD 申请
    department_code: str | None
    department_name: str
    materials: list[MaterialView]
    commitment_text_zh: str
    basis: str


class RepairView(BaseModel):
    id: int
    kind: str
    kind_zh: str
    subject_id: int
    subject_name: str
    record_id: int | None
    list_procedure_id: int | None
    target_zh: str
    department_code: str | None
    department_name: str
    status: str
    status_zh: str
    lookup_code: str | None
    schedule: str
    schedule_zh: str
    schedule_source: str
    channel: str
    applicant_name: str
    filed_by: str
    received_on: date
    statement: str
    materials: list[str]
    materials_zh: list[str]
    commitment_signed_at: UtcDateTime
    accepted_on: date | None
    decided_on: date | None
    decision_number: str | None
    applied_on: date | None
    deadlines: list[DeadlineView]
    next_step: str | None
    next_step_zh: str | None
    overdue: bool
    steps: list[StepView] = []
    attachments: list[AttachmentView] = []
    letters: list[LetterView] = []
    created_at: UtcDateTime


class RepairIn(BaseModel):
    record_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    list_procedure_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    statement: str = Field(min_length=1, max_length=5000, description="纠正失信行为、履行义务的情况")
    materials: list[str] = Field(default_factory=list, max_length=20)
    commitment: bool = Field(description="签署信用承诺书（必须为 true）")
    received_on: date | None = None
    applicant_name: str | None = Field(default=None, max_length=200)


class StepIn(BaseModel):
    action: Action
    outcome: Literal["granted", "refused"] | None = None
    text: str = Field(default="", max_length=5000)
    on: date | None = None


class RepairPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[RepairView]
