"""Public HTTP API of the working-day calendar: what the platform computes, with its basis.

Other government systems count their own deadlines the same way as the platform (start day not
counted, a last day off moves to the next working day), and see whether the answer rests on the
State Council notice or on a provisional year (按法定节假日推算，待国务院通知发布后校正)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from xinyong.core import calendar as cal
from xinyong.core.clock import today_china
from xinyong.core.deps import get_session

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class WorkingDayAnswer(BaseModel):
    start: date
    working_days: int
    date: date
    calendar_basis: str  # notice | provisional
    calendar_basis_zh: str


class CalendarYear(BaseModel):
    year: int
    calendar_basis: str
    calendar_basis_zh: str


class CalendarYears(BaseModel):
    years: list[CalendarYear]
    warning_zh: str | None = None  # next year's notice missing (from 1 November)


@router.get("/working-days", response_model=WorkingDayAnswer, summary="推算N个工作日后的日期")
def working_days(
    start: date = Query(..., description="start date (not counted)"),
    n: int = Query(..., ge=-3660, le=3660, description="working days to add"),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    calendar = cal.load_calendar(session)
    result = calendar.add_working_days(start, n)
    basis = calendar.basis(start, result)
    return {
        "start": start,
        "working_days": n,
        "date": result,
        "calendar_basis": basis,
        "calendar_basis_zh": cal.BASIS_ZH[basis],
    }


@router.get("/years", response_model=CalendarYears, summary="工作日历各年份的依据")
def years(session: Session = Depends(get_session, scope="function")) -> dict[str, Any]:
    calendar = cal.load_calendar(session)
    provisional = set(calendar.provisional_years())
    out = []
    for year in calendar.known_years():
        basis = cal.PROVISIONAL if year in provisional else cal.NOTICE
        out.append({"year": year, "calendar_basis": basis, "calendar_basis_zh": cal.BASIS_ZH[basis]})
    warning = cal.missing_notice_warning(calendar, today_china())
    return {"years": out, "warning_zh": warning[1] if warning else None}
