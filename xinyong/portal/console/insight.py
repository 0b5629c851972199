"""Console pages of the leadership views: data quality (``/console/quality``), city credit
monitoring (``/console/monitoring``) and government integrity (``/console/government``). Each
assembles its domain's service; staff see every department, a provider its own scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.clock import today_china
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError
from xinyong.portal.console.charts import Chart, Series
from xinyong.portal.console.pages import _desk, _message, _render
from xinyong.quality import months
from xinyong.quality import service as quality_service

router = APIRouter(include_in_schema=False)

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
DbSession = Annotated[Session, Depends(get_session, scope="function")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(text: str | None) -> date:
    """The month asked for, or last month (the latest complete one)."""
    if text:
        return months.parse_month(text)
    return months.shift(months.month_of_day(today_china()), -1)


@dataclass
class QualityView:
    month: str
    stored: bool
    cards: list[quality_service.Scorecard]
    chart: Chart | None


def quality_view(session: Session, month: date, provider_code: str | None) -> QualityView:
    cards = quality_service.month_report(session, month, provider_code=provider_code)
    stored = bool(quality_service.stored_month(session, month))
    chart = (
        Chart(
            "hbar",
            f"{months.key(month)} 各单位数据质量得分",
            [c.provider_name for c in cards],
            [Series("得分（满分100）", [c.score for c in cards])],
        )
        if cards
        else None
    )
    return QualityView(months.key(month), stored, cards, chart)


@router.get("/console/quality", response_class=HTMLResponse)
def quality(
    request: Request, principal: CurrentPrincipal, session: DbSession, month: str = ""
) -> HTMLResponse:
    desk = _desk(session, principal)
    try:
        view = quality_view(session, _month(month), None if desk.is_staff else desk.provider_code or "")
    except DomainError as exc:
        return _message(request, desk, exc)
    return _render(request, desk, "console/quality.html", {"view": view})


@router.get("/console/quality/export")
def quality_export(
    request: Request, principal: CurrentPrincipal, session: DbSession, month: str = ""
) -> Response:
    desk = _desk(session, principal)
    try:
        m = _month(month)
        cards = quality_service.month_report(
            session, m, provider_code=None if desk.is_staff else desk.provider_code or ""
        )
    except DomainError as exc:
        return _message(request, desk, exc)
    return Response(
        quality_service.scorecards_xlsx(cards, months.key(m)),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="quality-{months.key(m)}.xlsx"'},
    )
