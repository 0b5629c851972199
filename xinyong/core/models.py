"""Tables owned by core (other than the outbox in ``events``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, JSONType, utcnow


class CalendarOverride(Base):
    """A city's correction to the national working-day calendar (local holiday, fixed year)."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CalendarNotice(Base):
    """A year's State Council holiday notice loaded by staff (``xinyong calendar load-notice`` or the
    console): it replaces the provisional year computed from the 放假办法, and the package's or
    calendar.yaml's data for that year."""

    __tablename__ = "calendar_notices"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)  # the notice's number and title
    published_on: Mapped[date] = mapped_column(Date)
    # [{"name", "from", "to", "days"}] and [{"name", "date"}], ISO dates, as the notice lists them.
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    workdays: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_by: Mapped[str] = mapped_column(String(120), default="")
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
