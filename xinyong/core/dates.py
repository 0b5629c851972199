"""The one way a stored or submitted value becomes a date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def as_date(value: Any) -> date | None:
    """A date from a date, datetime or ISO string (ingest normalises dates to ISO); None when
    the value is empty or not a date (callers that must refuse a bad date check for that)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None
