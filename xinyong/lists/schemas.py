"""Shapes the lists domain returns (service results, API responses) and accepts (API bodies)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from xinyong.core.params import DB_ID_MAX, UtcDateTime
from xinyong.lists.rules import ExitReason, LiableRole

# --- views ------------------------------------------------------------------------------------


class SubjectRef(BaseModel):
    id: int
    kind: str
    name: str
    code: str | None  # USCC, or the masked ID number of a natural person


class LiablePersonView(BaseModel):
    role: str
    role_zh: str
    name: str
    subject_id: int | None
    source: str  # relation | registration | decision


class StepView(BaseModel):
    seq: int
    action: str
    action_zh: str
    from_status: str | None
    to_status: str
    on: date
    actor: str
    document_number: str | None
    text: str
    data: dict[str, Any]
    created_at: UtcDateTime


class ProcedureView(BaseModel):
    """One listing procedure: its state, every step date and deadline, and what is due next."""

    id: int
    list_type: str
    list_name_zh: str
    list_kind: str
    subject: SubjectRef
    status: str
    status_zh: str
    origin: str  # manual | automatic | escalation
    criterion: str | None
    basis_record_id: int | None
    source_procedure_id: int | None
    department_code: str | None
    department_name: str
    reasons: str
    legal_basis: str
    proposed_on: date
    proposed_by: str
    notice_due: date | None
    noticed_on: date | None
    statement_due: date | None
    statement_on: date | None
    decision_due: date | None
    decided_on: date | None
    decision_document: str | None
    publication_due: date | None
    published_on: date | None
    starts_on: date | None
    ends_on: date | None
    min_end: date | None
    rectification_due: date | None
    rectified_on: date | None
    interview_due: date | None
    last_interview_on: date | None
    interview_count: int
    exited_on: date | None
    exit_reason: str | None
    exit_reason_zh: str | None
    # notice | provisional: a deadline above reaches a year without its State Council holiday
    # notice (按法定节假日推算，待国务院通知发布后校正) and will be recomputed when it is loaded.
    calendar_basis: str = "notice"
    calendar_basis_zh: str = "按国务院节假日安排通知"
    # What is due next, by when, and whether the department is late (today's view).
    next_step: str | None
    next_step_zh: str | None
    next_due: date | None
    overdue: bool
    liable_persons: list[LiablePersonView] = []
    steps: list[StepView] = []


class ProcedurePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ProcedureView]


class QueueItem(BaseModel):
    """A procedure waiting for a step, with the step's deadline (overdue first)."""

    procedure: ProcedureView
    step: str
    step_zh: str
    due: date | None
    overdue: bool
    overdue_working_days: int | None  # working days past the deadline (None: not overdue or unknown)
    # A deadline in a year the working-day calendar does not know yet is left open, never guessed.
    due_unknown: bool


class PublicMember(BaseModel):
    """A member of a published list as the public sees it (public fields only)."""

    procedure_id: int
    list_type: str
    list_name_zh: str
    list_kind: str
    subject_id: int  # for the link to the subject's public page
    subject_name: str  # a natural person's name is de-identified
    subject_code: str | None  # USCC, or the masked ID number
    subject_kind: str
    department_name: str
    decision_document: str | None
    decided_on: date | None
    published_on: date | None
    ends_on: date | None
    reasons: str
    legal_basis: str
    basis_record_id: int | None = None  # the record (judgment, penalty …) the listing rests on


class MemberPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[PublicMember]


class PublicLiablePerson(BaseModel):
    role: str
    role_zh: str
    name: str


class Announcement(BaseModel):
    """The public announcement of a published listing decision (and of its removal)."""

    member: PublicMember
    status: str
    status_zh: str
    liable_persons: list[PublicLiablePerson]
    exit_conditions: list[str]
    exited_on: date | None
    exit_reason_zh: str | None


class TickResult(BaseModel):
    exited: int = 0
    escalated: int = 0
    deadlines_refreshed: int = 0


# --- API bodies -------------------------------------------------------------------------------


class ProposalIn(BaseModel):
    list_type: str = Field(description="名单类型代码，如 blacklist")
    subject_code: str = Field(description="统一社会信用代码或身份证号码")
    reasons: str = Field(min_length=1, description="提议理由")
    legal_basis: str | None = Field(None, description="依据（默认为名单类型的法律依据）")
    basis_record_id: int | None = Field(None, ge=1, le=DB_ID_MAX, description="据以提议的信用记录")
    department_code: str | None = Field(None, description="决定部门（信息提供单位代码；信用办提议时可指定）")
    on: date | None = Field(None, description="提议日期（默认今天）")


class NoticeIn(BaseModel):
    text: str | None = Field(None, description="告知书内容（默认按名单类型的告知模板生成）")
    document_number: str | None = Field(None, description="告知书文号")
    on: date | None = None


class StatementIn(BaseModel):
    text: str = Field(min_length=1, description="陈述申辩内容")
    hearing_requested: bool = Field(False, description="是否要求听证")
    on: date | None = None


class LiablePersonIn(BaseModel):
    role: LiableRole
    name: str | None = None
    subject_code: str | None = Field(None, description="责任人的身份证号码（关联自然人主体）")


class DecisionIn(BaseModel):
    outcome: Literal["list", "dismiss"]
    reasons: str = Field(min_length=1)
    legal_basis: str | None = None
    document_number: str | None = Field(None, description="决定书文号（列入时必填）")
    signed_by: str | None = Field(None, description="签发的机关负责人（需签发的名单必填）")
    liable_persons: list[LiablePersonIn] | None = Field(
        None, description="负有责任的人员；不填时取登记的法定代表人、实际控制人"
    )
    on: date | None = None


class PublicationIn(BaseModel):
    document_number: str | None = None
    on: date | None = None


class InterviewIn(BaseModel):
    kind: Literal["prompt", "warning"] = Field(description="prompt 提示约谈 / warning 警示约谈")
    summary: str = Field(min_length=1, description="约谈记录")
    on: date | None = None


class RectificationIn(BaseModel):
    text: str = Field(min_length=1, description="整改情况")
    on: date | None = None


class ExitIn(BaseModel):
    reason: ExitReason
    text: str = Field(min_length=1, description="移出理由")
    document_number: str | None = None
    on: date | None = None


class WithdrawalIn(BaseModel):
    text: str = Field(min_length=1, description="撤回理由")
    on: date | None = None
