"""Changes staff make to the working-day calendar, each appended to the ledger in the same
transaction: a city's correction of one day, a year's State Council holiday notice.

The calendar itself (``core.calendar``), its provisional years and the notice's checks
(``core.calendar_notice``) live in core, which every domain reads; the ledger sits above core,
so the ledgered writes of this rule table live here, with the other rule tables."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from xinyong.core.calendar import Override, delete_override, store_override
from xinyong.core.calendar_notice import NoticeSummary, store_notice
from xinyong.ledger import service as ledger


def add_override(
    session: Session, day: date, is_workday: bool, name: str, source: str = "", *, by: str = ""
) -> Override:
    """Record (or replace) a city's correction of one day; the caller commits."""
    o = store_override(session, day, is_workday, name, source)
    ledger.append(
        session,
        "calendar.override",
        f"calendar:{day.isoformat()}",
        {"day": day.isoformat(), "is_workday": is_workday, "name": o.name, "source": o.source, "by": by},
    )
    return o


def remove_override(session: Session, day: date) -> bool:
    """Delete the override of ``day``; False when there was none."""
    if not delete_override(session, day):
        return False
    ledger.append(
        session, "calendar.override_removed", f"calendar:{day.isoformat()}", {"day": day.isoformat()}
    )
    return True


def load_notice(session: Session, raw: Any, *, by: str = "") -> NoticeSummary:
    """Check and store a year's holiday notice (see ``core.calendar_notice``); the caller commits.
    Dates computed on the provisional year are recomputed by the daily job."""
    summary = store_notice(session, raw, by=by)
    ledger.append(
        session,
        "calendar.notice_loaded",
        f"calendar:{summary.year}",
        {
            "year": summary.year,
            "source": summary.source,
            "published_on": summary.published_on.isoformat(),
            "content_hash": summary.content_hash,
            "by": by,
        },
    )
    return summary
