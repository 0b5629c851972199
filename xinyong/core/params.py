"""Bounded request parameters and response date-times, shared by every router.

A store's integer keys are signed 64-bit (SQLite INTEGER, PostgreSQL BIGINT): a larger number in
a path or query string would reach the driver and fail with ``OverflowError``, so every integer a
request carries is bounded in the schema and answered 422 before any query runs. Routers use these
types (``record_id: DbId``, ``page: PageNo = 1``) so a new router is bounded the same way;
``tests/core/test_params.py`` fails on an integer parameter without both bounds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

# The largest value a signed 64-bit key column holds.
DB_ID_MAX = 2**63 - 1
# A page beyond this is refused: page × per_page (≤ 1,000) stays far inside 64 bits, and no list a
# person reads page by page runs to a million pages.
PAGE_MAX = 1_000_000
OFFSET_MAX = 1_000_000_000

DbId = Annotated[int, Path(ge=1, le=DB_ID_MAX, description="记录编号（正整数）")]
"""A row id in a path: 1 … 2^63−1."""

DbIdField = Annotated[int, Field(ge=1, le=DB_ID_MAX)]
"""A row id in a JSON body."""

PageNo = Annotated[int, Query(ge=1, le=PAGE_MAX, description="页码，从 1 开始")]
"""The 1-based page of a paged list."""

Offset = Annotated[int, Query(ge=0, le=OFFSET_MAX, description="跳过的条数")]
"""How many rows a list skips."""


def db_id(raw: str) -> int | None:
    """The id in a page's path segment, or None when it is not a positive 64-bit integer (the page
    then answers 404 like any unknown id)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 1 <= value <= DB_ID_MAX else None


def _aware(value: datetime) -> datetime:
    # The store may hold naive UTC (SQLite has no time zone): a response always says the offset.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_aware)]
"""A date-time in a response: RFC 3339 with its offset; a naive value is read as UTC."""
