"""Ingest views: the shapes the ingest services return (submissions, rows, quarantine, metrics;
``ProviderInfo`` is accounts')."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from xinyong.ingest.validation import Problem


@dataclass
class RowResult:
    row: int
    outcome: str  # created|corrected|withdrawn|unchanged|rejected
    record_id: int | None = None
    document_number: str | None = None
    late: bool = False
    delay_working_days: int | None = None
    # provisional: the delay was counted on a year without its holiday notice (按法定节假日推算，
    # 待国务院通知发布后校正); the daily job recounts it once the notice is loaded.
    calendar_basis: str = "notice"
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class SubmissionResult:
    id: str
    provider_code: str
    item_code: str
    channel: str
    status: str  # received|applying (a big one, between its chunk commits)|done|failed
    filename: str | None
    file_format: str | None
    encoding: str | None
    content_hash: str | None
    rows_total: int
    rows_created: int
    rows_corrected: int
    rows_withdrawn: int
    rows_unchanged: int
    rows_rejected: int
    rows_late: int
    received_at: datetime
    finished_at: datetime | None
    errors: list[dict[str, Any]] = field(default_factory=list)  # file-level (status failed)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # submission-level (unknown headers)
    # Rows with errors or warnings (the first ``_INLINE_PROBLEMS``; page the rest).
    problems: list[RowResult] = field(default_factory=list)

    @property
    def rows_accepted(self) -> int:
        return self.rows_created + self.rows_corrected + self.rows_withdrawn + self.rows_unchanged

    @property
    def unknown_headers(self) -> list[str]:
        return [
            h for w in self.warnings if w.get("code") == "ingest.unknown_header" for h in w.get("headers", [])
        ]


@dataclass
class QuarantineInfo:
    id: int
    submission_id: str
    provider_code: str
    item_code: str
    row_number: int
    raw: dict[str, Any]
    errors: list[Problem]
    status: str  # open|resolved|superseded|discarded
    resolved_submission_id: str | None
    note: str
    created_at: datetime
    updated_at: datetime


T = TypeVar("T")


@dataclass
class Page(Generic[T]):  # Python 3.11: no PEP 695 generics
    total: int
    page: int
    per_page: int
    items: list[T]


@dataclass
class ProviderMetrics:
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
    error_rate: float  # rejected / submitted
    late_rate: float  # late / created
    median_delay_working_days: float | None


@dataclass
class ItemMetrics:
    item_code: str
    providers: int
    submissions: int
    rows_submitted: int
    rows_accepted: int
    rows_rejected: int
    rows_late: int
    error_rate: float
