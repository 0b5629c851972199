"""City credit monitoring (城市信用状况监测): the public face. Indicators as data
(``indicators``), run for a month and a district (``compute``), each exportable as PNG
(``png``) and XLSX (``export``), and the monthly PDF report (``report``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from xinyong.monitoring.compute import IndicatorResult, Period, SeriesData, period, run_all, run_indicator
from xinyong.monitoring.export import indicator_xlsx
from xinyong.monitoring.indicators import (
    IndicatorSet,
    get_indicators,
    load_indicators,
    reset_indicators_cache,
)
from xinyong.monitoring.png import chart_png
from xinyong.monitoring.report import report_html, report_pdf, scope_label


def district_name(code: str) -> str | None:
    """The Chinese name of a division code from the indicators' labels (None: the whole city)."""
    if not code:
        return None
    return get_indicators().labels.get("divisions", {}).get(code, code)


def districts() -> dict[str, str]:
    return dict(get_indicators().labels.get("divisions", {}))


def dashboard(
    session: Session, month: date, district: str | None = None
) -> tuple[Period, list[IndicatorResult]]:
    ind = get_indicators()
    p = period(month, district, ind.months)
    return p, run_all(session, ind, p)


def indicator(
    session: Session, code: str, month: date, district: str | None = None
) -> tuple[Period, IndicatorResult]:
    ind = get_indicators()
    p = period(month, district, ind.months)
    return p, run_indicator(session, ind.get(code), ind, p)


def monthly_report_pdf(session: Session, month: date, district: str | None = None) -> bytes:
    p, results = dashboard(session, month, district)
    return report_pdf(results, p, district_name(p.district))


__all__ = [
    "IndicatorResult",
    "IndicatorSet",
    "Period",
    "SeriesData",
    "chart_png",
    "dashboard",
    "district_name",
    "districts",
    "get_indicators",
    "indicator",
    "indicator_xlsx",
    "load_indicators",
    "monthly_report_pdf",
    "report_html",
    "reset_indicators_cache",
    "scope_label",
]
