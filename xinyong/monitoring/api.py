"""Monitoring routes (``/api/v1/monitoring/indicators``): every indicator for a month and a
district, or one of them as JSON, PNG or XLSX (``format``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from xinyong.core import months
from xinyong.core.clock import today_china
from xinyong.core.deps import DbSession
from xinyong.monitoring import service
from xinyong.monitoring.schemas import DashboardOut, IndicatorOut

router = APIRouter(prefix="/api/v1/monitoring", tags=["monitoring"])

Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM；默认上月")]
District = Annotated[str, Query(pattern=r"^(\d{6})?$", description="6位行政区划代码；空为全市")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(text: str | None) -> date:
    return months.parse_month(text) if text else months.shift(months.month_of_day(today_china()), -1)


@router.get("/indicators", response_model=DashboardOut, summary="城市信用状况监测指标")
def indicators(session: DbSession, month: Month = None, district: District = "") -> DashboardOut:
    p, results = service.dashboard(session, _month(month), district)
    return DashboardOut(
        month=months.key(p.month),
        first_month=months.key(p.first),
        district=p.district,
        district_name=service.district_name(p.district),
        indicators_version=service.get_indicators().version,
        indicators=[IndicatorOut.model_validate(r) for r in results],
    )


@router.get("/indicators/{code}", response_model=IndicatorOut, summary="一个监测指标（JSON/PNG/XLSX）")
def indicator(
    code: str,
    session: DbSession,
    month: Month = None,
    district: District = "",
    format: Literal["json", "png", "xlsx"] = "json",
) -> IndicatorOut | Response:
    p, result = service.indicator(session, code, _month(month), district)
    subtitle = service.scope_label(p, service.district_name(p.district))
    if format == "png":
        return Response(service.chart_png(result, subtitle), media_type="image/png")
    if format == "xlsx":
        return Response(
            service.indicator_xlsx(result, subtitle),
            media_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="{result.code}-{months.key(p.month)}.xlsx"'
            },
        )
    return IndicatorOut.model_validate(result)
