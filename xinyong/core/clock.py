"""China Standard Time: the dates of decisions, publicity windows and deadlines are Beijing dates.

China has one time zone and no daylight saving, so a fixed UTC+8 offset is exact."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def today_china() -> date:
    """Today's date in China."""
    return datetime.now(CHINA_TZ).date()
