"""Shapes the records domain returns (service results and API responses)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from xinyong.core.params import UtcDateTime


class VersionInfo(BaseModel):
    """One version as listed publicly: number, what changed, when; outside the public view also
    the fields of that version the viewer may see (``None`` in the public view)."""

    version: int
    change: str  # created | corrected | withdrawn | publicity_ended | approved
    date: date
    fields: dict[str, Any] | None = None


class RecordVersionDetail(BaseModel):
    """One full version (internal view: every field, whatever its disclosure)."""

    version: int
    change: str
    data: dict[str, Any]
    content_hash: str
    submission_id: str | None
    created_at: UtcDateTime


class RecordDetail(BaseModel):
    """A record with all its versions (internal view, for staff and other domains)."""

    id: int
    subject_id: int
    item_code: str
    category: str
    provider_id: int
    document_number: str
    status: str
    current_version: int
    severity: str | None
    severity_rule: str | None
    decision_date: date | None
    publicity_rule: str | None
    publicity_start: date | None
    publicity_min_end: date | None
    publicity_end: date | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    versions: list[RecordVersionDetail]

    @property
    def data(self) -> dict[str, Any]:
        """The current version's content."""
        return self.versions[-1].data if self.versions else {}


class RecordView(BaseModel):
    """A record as one visibility level may see it: only the fields that level may see."""

    id: int
    item_code: str
    item_name_zh: str
    category: str
    document_number: str
    status: str
    severity: str | None
    decision_date: date | None
    publicity_start: date | None
    publicity_end: date | None
    version: int
    fields: dict[str, Any]
    versions: list[VersionInfo] = []
    # Which subject and which department (provider) the record belongs to: public pages name the
    # source department of every entry. (Added for the portal.)
    subject_id: int | None = None
    provider_id: int | None = None


class RecordPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[RecordView]
