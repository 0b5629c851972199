"""Request and response shapes of the ingest API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class BatchIn(BaseModel):
    """A JSON batch: rows of ``{header: value}`` (national codes, Xinyong codes or Chinese names)."""

    item: str = Field(description="catalog item code, e.g. administrative_penalty")
    rows: list[dict[str, Any]] = Field(description="rows as {header: value}")


class Problem(_Out):
    row: int | None = None
    field: str | None = None
    header: str | None = None
    value: Any = None
    rule: str | None = None
    message: str | None = None
    message_zh: str | None = None


class RowOut(_Out):
    row: int
    outcome: str
    record_id: int | None = None
    document_number: str | None = None
    late: bool = False
    delay_working_days: int | None = None
    calendar_basis: str = "notice"  # provisional: counted on a year without its holiday notice
    errors: list[Problem] = []
    warnings: list[Problem] = []


class SubmissionOut(_Out):
    id: str
    provider_code: str
    item_code: str
    channel: str
    status: str
    filename: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    content_hash: str | None = None
    rows_total: int
    rows_accepted: int
    rows_created: int
    rows_corrected: int
    rows_withdrawn: int
    rows_unchanged: int
    rows_rejected: int
    rows_late: int
    received_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    unknown_headers: list[str] = []


class SubmissionCreated(SubmissionOut):
    problems: list[RowOut] = Field(default=[], description="rows with errors or warnings (first 1000)")
    rows_url: str


class RowPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[RowOut]


class SubmissionDetail(SubmissionOut):
    rows: RowPage


class SubmissionPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[SubmissionOut]


class QuarantineOut(_Out):
    id: int
    submission_id: str
    provider_code: str
    item_code: str
    row_number: int
    raw: dict[str, Any]
    errors: list[Problem]
    status: str
    resolved_submission_id: str | None = None
    note: str = ""
    created_at: UtcDateTime
    updated_at: UtcDateTime


class QuarantinePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[QuarantineOut]


class ResubmitIn(BaseModel):
    values: dict[str, Any] = Field(description="corrected values by header or field code")


class DiscardIn(BaseModel):
    note: str = Field(min_length=1, description="why the row is discarded (kept)")


class ProviderMetricsOut(_Out):
    provider_code: str
    provider_name: str
    submissions: int
    submissions_failed: int
    rows_submitted: int
    rows_accepted: int
    rows_created: int
    rows_corrected: int
    rows_withdrawn: int
    rows_unchanged: int
    rows_rejected: int
    rejected_by_rule: dict[str, int]
    rows_late: int
    error_rate: float
    late_rate: float
    median_delay_working_days: float | None = None


class PendingSubmissionOut(_Out):
    """A submission whose records wait for the department's approval (待审核)."""

    id: str
    item_code: str
    channel: str
    filename: str | None = None
    received_at: UtcDateTime
    rows_total: int
    pending: int


class ApprovalOut(_Out):
    submission_id: str
    provider_code: str
    approved: int
    subjects: int
    officer: str
