"""Shapes every procedure's JSON shares (its ``deadlines``, ``steps``, ``attachments``,
``letters``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from xinyong.core.params import UtcDateTime


class DeadlineView(BaseModel):
    step: str
    step_zh: str
    due_date: date | None
    done_on: date | None
    cancelled: bool = False
    overdue: bool = False
    escalated_on: date | None = None


class StepView(BaseModel):
    seq: int
    action: str
    action_zh: str
    from_status: str | None
    to_status: str
    on: date
    actor: str
    text: str
    data: dict[str, Any]
    created_at: UtcDateTime


class AttachmentView(BaseModel):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: UtcDateTime


class LetterView(BaseModel):
    id: int
    number: str
    letter: str
    title: str
    text: str
    issued_on: date
    sha256: str


class OverdueItem(BaseModel):
    """A staff step past its due date (the console queue)."""

    kind: str
    case_id: int
    step: str
    step_zh: str
    due_date: date
    working_days_late: int
    escalated: bool


class TrackView(BaseModel):
    """What a lookup code (查询码) shows without login: progress, never the statement or the
    attachments."""

    kind: str
    kind_zh: str
    status: str
    status_zh: str
    received_on: date
    deadlines: list[DeadlineView]
    letters: list[LetterView]
    steps: list[tuple[date, str]]
