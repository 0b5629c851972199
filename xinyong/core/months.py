"""Calendar months in China time (``YYYY-MM`` in, the month's bounds out): the period of monthly
figures (data-quality scorecards, monitoring indicators)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from xinyong.core.clock import CHINA_TZ
from xinyong.core.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """``2026-10`` → 2026-10-01; anything else is ``InvalidInput`` (field ``month``)."""
    m = _MONTH.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise InvalidInput(
            f"month must be YYYY-MM, got {text!r}",
            f"月份应为“年-月”格式（如 2026-10），收到“{text}”",
            code="month.invalid",
            field="month",
            value=text,
        )
    return date(int(m.group(1)), int(m.group(2)), 1)


def shift(month: date, n: int) -> date:
    k = month.year * 12 + month.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def bounds(month: date) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) in China time."""
    nxt = shift(month, 1)
    return (
        datetime(month.year, month.month, 1, tzinfo=CHINA_TZ),
        datetime(nxt.year, nxt.month, 1, tzinfo=CHINA_TZ),
    )


def key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_of(moment: datetime) -> date:
    # A naive time read back from SQLite is UTC (every timestamp is written as UTC).
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(CHINA_TZ)
    return date(local.year, local.month, 1)


def month_of_day(day: date) -> date:
    return date(day.year, day.month, 1)
