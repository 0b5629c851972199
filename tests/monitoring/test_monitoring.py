"""City credit monitoring: indicators from the ruleset over the derived state, the district
filter, 24-month trends, exports (PNG, XLSX), the monthly PDF report, the API."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, penalty_row
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import Database
from xinyong.core.errors import InvalidInput
from xinyong.core.identifiers import make_uscc
from xinyong.core.pdf import cjk_font_available
from xinyong.ingest import service as ingest
from xinyong.jobs import register_consumers
from xinyong.monitoring import service
from xinyong.subjects import service as subjects

DEC = date(2026, 12, 1)
JJ, HY = "331002", "331003"


def _code(n: int, division: str) -> str:
    return make_uscc("9", "1", division, f"MA2K{n:04d}")


def _city(session: Session) -> None:
    register_consumers()
    for n, division, industry in ((1, JJ, "C"), (2, JJ, "F"), (3, HY, "C")):
        subjects.create_subject(
            session,
            kind="enterprise",
            name=f"台州市测试{n}号有限公司",
            uscc=_code(n, division),
            division_code=division,
            industry=industry,
        )
    ingest.create_provider(session, "tz_scjgj", "台州市市场监督管理局", None, [PENALTY])
    session.commit()

    def row(n: int, doc: int, decided: str) -> dict[str, str]:
        return penalty_row(
            doc,
            CF_XDR_MC=f"台州市测试{n}号有限公司",
            CF_XDR_SHXYM=_code(n, JJ if n < 3 else HY),
            CF_JDRQ=decided,
        )

    # December: two on time; November: one late (decided in September).
    ingest.submit(
        session,
        "tz_scjgj",
        PENALTY,
        [row(1, 1, "2026-11-30"), row(3, 2, "2026-12-01")],
        received_at=datetime(2026, 12, 3, 10, tzinfo=CHINA_TZ),
    )
    ingest.submit(
        session,
        "tz_scjgj",
        PENALTY,
        [row(2, 3, "2026-09-01")],
        received_at=datetime(2026, 11, 10, 10, tzinfo=CHINA_TZ),
    )


def _by_code(results: list[service.IndicatorResult]) -> dict[str, service.IndicatorResult]:
    return {r.code: r for r in results}


def test_dashboard_by_district_and_trend(session: Session) -> None:
    _city(session)
    p, results = service.dashboard(session, DEC)
    r = _by_code(results)
    assert p.first == date(2025, 1, 1)
    subs = r["subjects_by_district"]
    assert dict(zip(subs.categories, subs.series[0].values, strict=True)) == {"椒江区": 2, "黄岩区": 1}
    ind = r["subjects_by_industry"]
    assert dict(zip(ind.categories, ind.series[0].values, strict=True)) == {"制造业": 2, "批发和零售业": 1}
    trend = r["records_trend"]
    assert len(trend.categories) == 24 and trend.categories[-1] == "2026-12"
    (penalties,) = trend.series
    assert (
        penalties.values[-1] == 1 and penalties.values[-2] == 1 and penalties.values[-4] == 1
    )  # Dec, Nov, Sep
    timely = r["double_publicity_timeliness"]
    assert timely.series[0].values[-1] == 1.0 and timely.series[0].values[-2] == 0.0
    assert timely.value == 1.0 and timely.meets_target is True
    # The objections and repairs domains do not exist yet: shown as not connected, not as zero.
    # The objections and repairs domains exist: their indicators are live.
    assert r["objections_monthly"].available and r["repairs_monthly"].available
    # One district only.
    _, jj = service.dashboard(session, DEC, JJ)
    rj = _by_code(jj)
    assert rj["subjects_by_district"].categories == ["椒江区"]
    assert rj["records_by_district"].series[0].values == [2]
    assert "全市口径" in rj["double_publicity_timeliness"].note


def test_exports(session: Session) -> None:
    _city(session)
    p, result = service.indicator(session, "records_trend", DEC)
    png = service.chart_png(result, service.scope_label(p, None))
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (1200, 600)
    wb = load_workbook(io.BytesIO(service.indicator_xlsx(result, "全市")))
    ws = wb.active
    assert ws is not None and ws["A4"].value == "类别/月份" and ws.max_row == 4 + 24
    assert len(ws._charts) == 1


def test_bad_inputs(session: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        service.dashboard(session, DEC, "33100")
    bad = tmp_path / "indicators.yaml"
    bad.write_text(
        "version: x\neffective_from: 2021-01-01\nsource: s\nmonths: 24\nindicators:\n"
        "  - {code: wipe, name_zh: 删除, shape: scalar, source: s, sql: 'DELETE FROM records'}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as exc:
        service.load_indicators(bad)
    assert exc.value.code == "monitoring.bad_indicators"


@pytest.mark.skipif(not cjk_font_available(), reason="fonts-noto-cjk missing (make pdf-deps)")
def test_monthly_report_pdf(session: Session) -> None:
    _city(session)
    pdf = service.monthly_report_pdf(session, DEC, JJ)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_api(db: Database, client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
    with db.session() as s:
        _city(s)
    h = auth_headers("credit_office")
    r = client.get("/api/v1/monitoring/indicators?month=2026-12&district=331002", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["district_name"] == "椒江区" and body["first_month"] == "2025-01"
    assert {i["code"] for i in body["indicators"]} >= {"grade_distribution", "lists_in_out", "quality_score"}
    png = client.get("/api/v1/monitoring/indicators/subjects_by_district?month=2026-12&format=png", headers=h)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    missing = client.get("/api/v1/monitoring/indicators/nope?month=2026-12", headers=h)
    assert missing.status_code == 404
    denied = client.get(
        "/api/v1/monitoring/indicators", headers=auth_headers("provider", provider_code="tz_scjgj")
    )
    assert denied.status_code == 403
