"""API shapes of objections. Every procedure's JSON has ``status``, ``lookup_code`` and
``deadlines`` (``{step, due_date, done_on}``, working days)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from xinyong.casework.schemas import AttachmentView, DeadlineView, LetterView, StepView
from xinyong.core.params import UtcDateTime

Ground = Literal["wrong_content", "wrong_subject", "beyond_period", "listing_conditions", "other"]
Action = Literal["compare", "reply", "extend", "decide", "withdraw"]


class RecordRef(BaseModel):
    id: int
    item_code: str
    item_name_zh: str
    document_number: str
    decision_date: date | None
    status: str


class ObjectionView(BaseModel):
    id: int
    record: RecordRef
    subject_id: int
    subject_name: str
    provider_code: str
    provider_name: str
    ground: str
    ground_zh: str
    statement: str
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
    compare_result: str | None
    reply_result: str | None
    disclosure_suspended: bool
    decided_on: date | None
    corrected_version: int | None
    deadlines: list[DeadlineView]
    next_step: str | None
    next_step_zh: str | None
    overdue: bool
    steps: list[StepView] = []
    attachments: list[AttachmentView] = []
    letters: list[LetterView] = []
    created_at: UtcDateTime


class ObjectionIn(BaseModel):
    record_id: int = Field(ge=1, le=2**63 - 1)
    ground: Ground
    statement: str = Field(min_length=1, max_length=5000)
    received_on: date | None = Field(default=None, description="staff filing at a window: the day received")
    applicant_name: str | None = Field(default=None, max_length=200)
    schedule: str | None = Field(default=None, max_length=32, description="taizhou (default) | shenzhen")


class StepIn(BaseModel):
    action: Action
    result: Literal["differs", "matches", "holds", "not_holds", "unverifiable"] | None = None
    outcome: Literal["corrected", "upheld", "suspended"] | None = None
    text: str = Field(default="", max_length=5000)
    corrections: dict[str, Any] = Field(default_factory=dict)
    on: date | None = None


class ObjectionPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ObjectionView]
