"""The leadership console pages: data quality (a provider sees only its own scorecard),
city credit monitoring (with its PNG and XLSX exports) and government integrity."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import PASSWORD
from tests.ingest.factory import LICENCE, PENALTY, penalty_row
from tests.portal.console_seed import signed_in
from xinyong.accounts import service as accounts
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import Database
from xinyong.core.identifiers import make_uscc
from xinyong.government import service as government
from xinyong.ingest import service as ingest
from xinyong.subjects import service as subjects

BUREAU = make_uscc("1", "1", "331000", "00200001")


def _seed(session: Session) -> None:
    ingest.create_provider(session, "tz_scjgj", "台州市市场监督管理局", None, [LICENCE, PENALTY])
    ingest.create_provider(session, "tz_stj", "台州市生态环境局", None, [PENALTY])
    accounts.create_department(session, "tz_xyb", "台州市信用办")
    accounts.create_user(
        session,
        username="t_office",
        display_name="信用办",
        role="credit_office",
        password=PASSWORD,
        department_code="tz_xyb",
    )
    accounts.create_user(
        session,
        username="t_eco",
        display_name="生态环境局",
        role="provider",
        password=PASSWORD,
        provider_code="tz_stj",
    )
    subjects.create_subject(session, kind="organisation", name="台州市某某局", uscc=BUREAU)
    session.commit()
    government.register_body(session, BUREAU, superior_name="台州市人民政府")
    session.commit()
    at = datetime(2026, 11, 10, 10, tzinfo=CHINA_TZ)
    ingest.submit(session, "tz_scjgj", PENALTY, [penalty_row(1, CF_JDRQ="2026-11-06")], received_at=at)
    ingest.submit(
        session,
        "tz_stj",
        PENALTY,
        [penalty_row(2, CF_JDRQ="2026-11-06", CF_CFJG="台州市生态环境局")],
        received_at=at,
    )


def test_staff_pages(db: Database, client: TestClient) -> None:
    with db.session() as s:
        _seed(s)
    c = signed_in(client, "t_office")
    q = c.get("/console/quality?month=2026-11")
    assert q.status_code == 200, q.text[:500]
    assert "台州市市场监督管理局" in q.text and "台州市生态环境局" in q.text and "导出 XLSX" in q.text
    x = c.get("/console/quality/export?month=2026-11")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    m = c.get("/console/monitoring?month=2026-11")
    assert m.status_code == 200 and "各县（市、区）信用主体数" in m.text and "异议申请（按月）" in m.text
    png = c.get("/console/monitoring/records_trend.png?month=2026-11")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    xl = c.get("/console/monitoring/records_trend.xlsx?month=2026-11")
    assert xl.status_code == 200 and xl.content[:2] == b"PK"
    bad = c.get("/console/monitoring?month=2026-11&district=abc")
    assert bad.status_code == 422 and "行政区划代码" in bad.text
    g = c.get("/console/government")
    assert g.status_code == 200 and "台州市某某局" in g.text and "台州市人民政府" in g.text


def test_provider_sees_own_scorecard_only(db: Database, client: TestClient) -> None:
    with db.session() as s:
        _seed(s)
    c = signed_in(client, "t_eco")
    q = c.get("/console/quality?month=2026-11")
    assert q.status_code == 200 and "台州市生态环境局" in q.text and "台州市市场监督管理局" not in q.text
    assert c.get("/console/monitoring").status_code == 403
    assert c.get("/console/government").status_code == 403
