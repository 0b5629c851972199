"""Request and response shapes of the measures domain (checks, catalog, push, feedback)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime

# --- catalog ---------------------------------------------------------------------------------


class MatterOut(BaseModel):
    code: str
    name_zh: str
    description_zh: str = ""
    source: str = ""


class BasisOut(BaseModel):
    code: str
    law: str
    article: str
    excerpt_zh: str = ""


class TriggerOut(BaseModel):
    lists: list[str] | None = None
    grades: list[str] | None = None
    records: dict[str, Any] | None = None
    classes: list[str] = Field(default_factory=list)


class MeasureOut(BaseModel):
    code: str
    name_zh: str
    kind: str
    category: str
    content_zh: str
    department: str
    matters: list[str]
    subject_kinds: list[str] | None = None
    bases: list[BasisOut]
    when: list[TriggerOut]
    unless: list[TriggerOut] = Field(default_factory=list)
    unless_bases: list[BasisOut] = Field(default_factory=list)
    max_months: int | None = None
    effective_from: date
    source: str


class CatalogOut(BaseModel):
    version: str
    measures: list[MeasureOut]


# --- checks ----------------------------------------------------------------------------------


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=64, description="统一社会信用代码或身份证号码")
    matter: str = Field(min_length=1, max_length=64, description="事项代码，如 government_procurement")
    purpose: str | None = Field(
        None,
        max_length=64,
        description="查询用途代码（purposes.yaml，须为本角色可用的用途，见 /api/v1/purposes），"
        "如 public_resource_trading 公共资源交易、administrative_approval 行政审批；也接受中文名称",
    )


class BatchCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subjects: list[str] = Field(
        min_length=1, description="统一社会信用代码或身份证号码列表（如一次招标的全部投标人）"
    )
    matter: str = Field(min_length=1, max_length=64)
    purpose: str | None = Field(None, max_length=64, description="查询用途代码（同单个核查）")


class SubjectRef(BaseModel):
    id: int
    code: str | None
    name: str
    kind: str


class MatterRef(BaseModel):
    code: str
    name_zh: str


class AppliedMeasure(BaseModel):
    code: str
    name_zh: str
    kind: str
    category: str
    content_zh: str
    department: str
    basis: list[BasisOut]
    # Why it applies: list entries, records, grade (each a dict with "type").
    reasons: list[dict[str, Any]]
    valid_until: date | None = Field(None, description="措施适用至（含）；为空表示至信用状况变化")


class ExcludedMeasure(BaseModel):
    code: str
    name_zh: str
    kind: str
    # The trigger that met the condition and the exclusion that keeps the measure out.
    reasons: list[dict[str, Any]]
    excluded_by: list[dict[str, Any]]
    basis: list[BasisOut] = Field(default_factory=list)


class StateRef(BaseModel):
    """The credit state row the answer was read from."""

    grade: str | None = None
    model: str | None = None
    evaluated_at: UtcDateTime | None = None
    lists: list[str] = Field(default_factory=list)
    records_in_force: int = 0
    negative_in_force: int = 0
    serious_in_force: int = 0
    last_event_id: int = 0
    updated_at: UtcDateTime | None = None


class CheckAnswer(BaseModel):
    check_id: str
    issued_at: UtcDateTime
    subject: SubjectRef
    matter: MatterRef
    purpose: str
    rewards: list[AppliedMeasure]
    punishments: list[AppliedMeasure]
    excluded: list[ExcludedMeasure]
    state: StateRef
    feedback_due_on: date | None = None
    # notice | provisional (按法定节假日推算，待国务院通知发布后校正): the deadline reaches a year
    # without its holiday notice and is recomputed once the notice is loaded. None: no deadline.
    feedback_due_basis: str | None = None
    # The signed decision receipt (verify with POST /api/v1/checks/verify or offline).
    receipt: dict[str, Any]


class BatchItem(BaseModel):
    subject: str
    ok: bool
    error: dict[str, Any] | None = None
    check: CheckAnswer | None = None


class BatchAnswer(BaseModel):
    batch_id: str
    matter: MatterRef
    purpose: str
    total: int
    found: int
    not_found: int
    with_rewards: int
    with_punishments: int
    results: list[BatchItem]


class VerifyRequest(BaseModel):
    receipt: dict[str, Any]
    # Optionally the answer's measures as received, to check them against answer_sha256.
    answer: dict[str, Any] | None = Field(
        None, description="可选：收到的 rewards、punishments、excluded，用于核对 answer_sha256"
    )


class VerifyResult(BaseModel):
    valid: bool
    check_id: str | None = None
    key_id: str | None = None
    signature_valid: bool
    answer_matches: bool | None = None
    logged: bool | None = None
    message: str
    message_zh: str


class CheckSummary(BaseModel):
    check_id: str
    issued_at: UtcDateTime
    subject_id: int
    matter: str
    purpose: str
    caller: str
    department_code: str | None
    measures: list[str]
    feedback_due_on: date | None
    feedback_due_basis: str = "notice"
    feedback_count: int = 0
    overdue: bool = False


class CheckPage(BaseModel):
    total: int
    items: list[CheckSummary]


# --- feedback --------------------------------------------------------------------------------


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=64)
    measure: str = Field(min_length=1, max_length=32)
    matter: str = Field(min_length=1, max_length=64)
    action: str = Field(
        min_length=1, max_length=32, description="applied（已实施）或 not_applied（未实施，须说明理由）"
    )
    applied_on: date
    document_number: str = Field(min_length=1, max_length=200, description="实施文书号")
    check_id: str | None = Field(None, max_length=40, description="对应的核查回执编号")
    note: str = Field("", max_length=2000)


class FeedbackOut(BaseModel):
    id: int
    check_id: str | None
    subject_id: int
    subject_code: str | None = None
    subject_name: str | None = None
    measure: str
    measure_name_zh: str | None = None
    matter: str
    action: str
    applied_on: date
    document_number: str
    department_code: str
    reported_by: str
    note: str
    typical: bool
    typical_text: str | None = None
    created_at: UtcDateTime


class TypicalCaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500, description="典型案例简述")


class StatRow(BaseModel):
    department_code: str | None
    measure: str
    measure_name_zh: str | None
    kind: str | None
    checks_with_measure: int
    feedback: int
    applied: int
    not_applied: int
    typical: int


class FeedbackStats(BaseModel):
    rows: list[StatRow]
    total_checks_with_measures: int
    total_feedback: int
    overdue_checks: int


class CaseOut(BaseModel):
    id: int
    measure: str
    measure_name_zh: str | None
    kind: str | None
    subject_name: str
    department_code: str
    applied_on: date
    document_number: str
    text: str


# --- push ------------------------------------------------------------------------------------


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=1000, description="接收推送的 http(s) 地址")
    events: list[str] = Field(
        min_length=1,
        description="list.entered, list.exited, grade.changed, record.created, record.corrected, "
        "record.withdrawn, record.publicity_ended",
    )
    lists: list[str] | None = Field(None, description="只推送这些名单的进入/移出（为空：全部名单）")
    items: list[str] | None = Field(None, description="只推送这些目录项的记录（为空：全部目录项）")
    grades: list[str] | None = Field(None, description="只推送变为这些等级（或由这些等级变出）的评价变化")


class SubscriptionOut(BaseModel):
    id: int
    department_code: str
    name: str
    url: str
    events: list[str]
    lists: list[str] | None
    items: list[str] | None
    grades: list[str] | None
    active: bool
    created_by: str
    created_at: UtcDateTime
    # Shown once, when the subscription is created: verify every delivery with it.
    secret: str | None = None


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    event_id: int
    event_type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: UtcDateTime | None
    last_status: int | None
    last_error: str | None
    replays: int
    created_at: UtcDateTime
    delivered_at: UtcDateTime | None
    dead_at: UtcDateTime | None


class DeliveryPage(BaseModel):
    total: int
    items: list[DeliveryOut]


class PushRunResult(BaseModel):
    events_consumed: int
    deliveries_created: int
    delivered: int
    retried: int
    dead: int
