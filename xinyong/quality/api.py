"""Quality routes (``/api/v1/quality``): the month's scorecards and ranking (a provider sees
its own department's), their XLSX export, and publishing a month (store, rank, push)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import CurrentPrincipal
from xinyong.accounts.principal import Principal
from xinyong.core import months
from xinyong.core.deps import DbSession
from xinyong.quality import service
from xinyong.quality.schemas import QualityReportOut, ScorecardOut

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])

Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM", examples=["2026-10"])]


def _own(principal: Principal) -> str | None:
    """A provider sees only its own department's scorecard."""
    return principal.provider_code if principal.role == "provider" else None


def _report(session: Session, month: str, principal: Principal) -> QualityReportOut:
    m = months.parse_month(month)
    stored = bool(service.stored_month(session, m))
    cards = service.month_report(session, m, provider_code=_own(principal))
    if _own(principal) is not None and principal.provider_code is None:
        cards = []
    return QualityReportOut(
        month=months.key(m),
        departments=len(cards),
        stored=stored,
        scorecards=[ScorecardOut.model_validate(c) for c in cards],
    )


@router.get("", response_model=QualityReportOut, summary="月度数据质量评分与排名")
def quality_report(month: Month, session: DbSession, principal: CurrentPrincipal) -> QualityReportOut:
    return _report(session, month, principal)


@router.get("/export", summary="导出数据质量评分（XLSX）")
def quality_export(month: Month, session: DbSession, principal: CurrentPrincipal) -> Response:
    m = months.parse_month(month)
    cards = service.month_report(session, m, provider_code=_own(principal))
    body = service.scorecards_xlsx(cards, months.key(m))
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="quality-{months.key(m)}.xlsx"'},
    )


@router.post("/{month}/publish", response_model=QualityReportOut, summary="发布月度评分卡并推送各部门")
def quality_publish(month: str, session: DbSession, principal: CurrentPrincipal) -> QualityReportOut:
    m = months.parse_month(month)
    service.publish_month(session, m, push=True)
    session.commit()
    return _report(session, month, principal)
