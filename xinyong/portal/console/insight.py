"""Console pages of the leadership views: data quality (``/console/quality``), city credit
monitoring (``/console/monitoring``) and government integrity (``/console/government``). Each
assembles its domain's service; staff see every department, a provider its own scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from xinyong.core import months
from xinyong.core.clock import today_china
from xinyong.government import service as government_service
from xinyong.monitoring import service as monitoring_service
from xinyong.portal.console.charts import Chart, Series
from xinyong.portal.console.pages import AtDesk
from xinyong.portal.console.service import Desk
from xinyong.portal.templating import SECURITY_HEADERS
from xinyong.quality import service as quality_service

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Downloads of a signed-in page carry its headers: never cached, same security policy.
PRIVATE = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def _download(body: bytes, media_type: str, filename: str | None = None) -> Response:
    headers = dict(PRIVATE)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


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


def _own_provider(desk: Desk) -> str | None:
    """Whose scorecards: every provider's for staff (None), a provider its own."""
    return None if desk.is_staff else desk.provider_code or ""


@router.get("/console/quality", response_class=HTMLResponse)
def quality(at: AtDesk, month: str = "") -> HTMLResponse:
    return at.view(
        "console/quality.html", lambda: quality_view(at.session, _month(month), _own_provider(at.desk))
    )


@router.get("/console/quality/export")
def quality_export(at: AtDesk, month: str = "") -> Response:
    def export() -> Response:
        m = _month(month)
        cards = quality_service.month_report(at.session, m, provider_code=_own_provider(at.desk))
        return _download(
            quality_service.scorecards_xlsx(cards, months.key(m)), XLSX, f"quality-{months.key(m)}.xlsx"
        )

    return at.attempt(export)


# --- city credit monitoring -------------------------------------------------------------------


@dataclass
class MonitoringCard:
    result: monitoring_service.IndicatorResult
    chart: Chart | None

    @property
    def value_text(self) -> str:
        r = self.result
        if r.value is None:
            return "—"
        return f"{r.value * 100:.2f}%" if r.unit == "%" else f"{r.value:,.4g} {r.unit}"


@dataclass
class MonitoringView:
    month: str
    first_month: str
    district: str
    scope: str
    districts: dict[str, str]
    cards: list[MonitoringCard]


def _chart_of(r: monitoring_service.IndicatorResult, subtitle: str) -> Chart | None:
    if not r.available or not r.series or not r.categories:
        return None
    pct = r.unit == "%"
    return Chart(
        "bar",
        f"{r.name_zh}（{subtitle}）",
        r.categories,
        [Series(s.name, [round((v or 0.0) * (100 if pct else 1), 2) for v in s.values]) for s in r.series],
        "%" if pct else "",
    )


def monitoring_view(session: Session, month: date, district: str) -> MonitoringView:
    p, results = monitoring_service.dashboard(session, month, district)
    scope = monitoring_service.scope_label(p, monitoring_service.district_name(p.district))
    return MonitoringView(
        months.key(p.month),
        months.key(p.first),
        p.district,
        scope,
        monitoring_service.districts(),
        [MonitoringCard(r, _chart_of(r, scope)) for r in results],
    )


@router.get("/console/monitoring", response_class=HTMLResponse)
def monitoring(at: AtDesk, month: str = "", district: str = "") -> HTMLResponse:
    return at.view("console/monitoring.html", lambda: monitoring_view(at.session, _month(month), district))


def _one(
    session: Session, code: str, month: str, district: str
) -> tuple[monitoring_service.IndicatorResult, str, str]:
    p, result = monitoring_service.indicator(session, code, _month(month), district)
    return (
        result,
        monitoring_service.scope_label(p, monitoring_service.district_name(p.district)),
        months.key(p.month),
    )


@router.get("/console/monitoring/{code}.png")
def monitoring_png(at: AtDesk, code: str, month: str = "", district: str = "") -> Response:
    def chart() -> Response:
        result, scope, _ = _one(at.session, code, month, district)
        return _download(monitoring_service.chart_png(result, scope), "image/png")

    return at.attempt(chart)


@router.get("/console/monitoring/{code}.xlsx")
def monitoring_xlsx(at: AtDesk, code: str, month: str = "", district: str = "") -> Response:
    def table() -> Response:
        result, scope, key = _one(at.session, code, month, district)
        return _download(monitoring_service.indicator_xlsx(result, scope), XLSX, f"{result.code}-{key}.xlsx")

    return at.attempt(table)


# --- government integrity ---------------------------------------------------------------------


@dataclass
class GovernmentView:
    model_name: str
    model_version: str
    model_source: str
    scores: list[government_service.BodyScore]
    notices: government_service.NoticePage
    chart: Chart | None


def government_view(session: Session) -> GovernmentView:
    model = government_service.get_government_model()
    scores = government_service.score_bodies(session, model)
    chart = (
        Chart(
            "hbar",
            "政务诚信得分",
            [s.body.name for s in scores],
            [Series("得分（满分100）", [s.score for s in scores])],
        )
        if scores
        else None
    )
    return GovernmentView(
        model.name_zh,
        model.version,
        model.source,
        scores,
        government_service.list_notices(session, per_page=30),
        chart,
    )


@router.get("/console/government", response_class=HTMLResponse)
def government(at: AtDesk) -> HTMLResponse:
    return at.view("console/government_integrity.html", lambda: government_view(at.session))
