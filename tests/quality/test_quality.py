"""Data quality scorecards: measures from real submissions, the ranking, the XLSX export, the
push of each department's own scorecard, the API (a provider sees only its own)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.ingest.factory import LICENCE, PENALTY, penalty_row
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import Database
from xinyong.core.events import Event
from xinyong.ingest import service as ingest
from xinyong.quality import service

DEC = date(2026, 12, 1)
RECEIVED = datetime(2026, 12, 3, 10, 0, tzinfo=CHINA_TZ)
NOV = datetime(2026, 11, 5, 10, 0, tzinfo=CHINA_TZ)


def _city(session: Session) -> None:
    ingest.create_provider(session, "tz_scjgj", "台州市市场监督管理局", None, [LICENCE, PENALTY])
    ingest.create_provider(session, "tz_stj", "台州市生态环境局", None, [PENALTY])
    session.commit()
    # 市场监管: 4 rows, one late (decided in October), one without its required decision date.
    rows = [
        penalty_row(1, CF_JDRQ="2026-11-30"),
        penalty_row(2, CF_JDRQ="2026-12-01"),
        penalty_row(3, CF_JDRQ="2026-10-09"),
        penalty_row(4, CF_JDRQ=""),
    ]
    ingest.submit(session, "tz_scjgj", PENALTY, rows, received_at=RECEIVED)
    # 生态环境: 2 good rows on time, and 1 the month before (volume change +100%).
    eco = [penalty_row(20 + i, CF_JDRQ="2026-12-01", CF_CFJG="台州市生态环境局") for i in range(2)]
    ingest.submit(session, "tz_stj", PENALTY, eco, received_at=RECEIVED)
    ingest.submit(
        session,
        "tz_stj",
        PENALTY,
        [penalty_row(30, CF_JDRQ="2026-11-03", CF_CFJG="台州市生态环境局")],
        received_at=NOV,
    )


def test_scorecards_measure_and_rank(session: Session) -> None:
    _city(session)
    cards = {c.provider_code: c for c in service.compute_month(session, DEC)}
    scjg, eco = cards["tz_scjgj"].metrics, cards["tz_stj"].metrics
    assert scjg.rows_total == 4 and scjg.rows_rejected == 1
    assert scjg.timeliness == pytest.approx(2 / 3, abs=1e-4)  # 1 of 3 accepted rows late
    assert scjg.required_complete == pytest.approx(0.75)
    assert scjg.accuracy == pytest.approx(0.75)
    assert scjg.upheld_objections == 0  # no objection held against its records this month
    assert 0 < scjg.optional_filled <= 1  # type: ignore[operator]
    assert scjg.codes == 3 and scjg.error_codes == 0 and scjg.code_error_per_10000 == 0
    assert eco.timeliness == 1 and eco.accuracy == 1 and eco.volume_change == pytest.approx(1.0)
    assert cards["tz_stj"].rank == 1 and cards["tz_scjgj"].rank == 2
    assert cards["tz_stj"].score > cards["tz_scjgj"].score
    # Per item: the licence item registered but not sent this month has no rows and scores 0.
    items = {i.item_code: i.metrics for i in cards["tz_scjgj"].items}
    assert items[LICENCE].rows_total == 0 and items[LICENCE].missing_months >= 0
    assert items[PENALTY].rows_total == 4


def test_publish_stores_pushes_once_and_exports(session: Session) -> None:
    _city(session)
    cards = service.publish_month(session, DEC)
    session.commit()
    pushed = list(session.scalars(select(Event).where(Event.type == service.PUSH_EVENT)))
    assert len(pushed) == len(cards) == 2
    assert {tuple(e.payload["to_departments"]) for e in pushed} == {("tz_scjgj",), ("tz_stj",)}
    # Published again with nothing changed: no second push.
    service.publish_month(session, DEC)
    session.commit()
    assert len(list(session.scalars(select(Event).where(Event.type == service.PUSH_EVENT)))) == 2
    stored = service.stored_month(session, DEC)
    assert [c.provider_code for c in stored] == ["tz_stj", "tz_scjgj"]
    wb = load_workbook(io.BytesIO(service.scorecards_xlsx(stored, "2026-12")))
    ranking = wb["排名"]
    assert ranking["C3"].value == "台州市生态环境局" and ranking["A3"].value == 1
    assert wb["目录项明细"].max_row == 1 + 3


def test_api_provider_sees_own(
    db: Database, client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    with db.session() as s:
        _city(s)
    staff = client.get("/api/v1/quality?month=2026-12", headers=auth_headers("credit_office"))
    assert staff.status_code == 200, staff.text
    body = staff.json()
    assert body["stored"] is False and [c["provider_code"] for c in body["scorecards"]] == [
        "tz_stj",
        "tz_scjgj",
    ]
    own = client.get(
        "/api/v1/quality?month=2026-12", headers=auth_headers("provider", provider_code="tz_scjgj")
    )
    assert [c["provider_code"] for c in own.json()["scorecards"]] == ["tz_scjgj"]
    bad = client.get("/api/v1/quality?month=2026-13", headers=auth_headers("credit_office"))
    assert bad.status_code == 422 and "month.invalid" in bad.text
    pub = client.post("/api/v1/quality/2026-12/publish", headers=auth_headers("credit_office"))
    assert pub.status_code == 200 and pub.json()["stored"] is True
    x = client.get("/api/v1/quality/export?month=2026-12", headers=auth_headers("credit_office"))
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_the_daily_job_publishes_last_month_once(db: Database) -> None:
    from xinyong.jobs import run_daily

    with db.session() as s:
        _city(s)
    first = run_daily(db, date(2027, 1, 4))  # December's scorecards
    assert first.quality_scorecards == 2
    assert run_daily(db, date(2027, 1, 5)).quality_scorecards == 0
    with db.session() as s:
        assert [c.provider_code for c in service.stored_month(s, DEC)] == ["tz_stj", "tz_scjgj"]


def test_objections_held_against_a_department_count_against_its_accuracy(session: Session) -> None:
    from xinyong.casework.service import Actor
    from xinyong.objections import service as objections
    from xinyong.records.models import Record

    _city(session)
    before = {c.provider_code: c for c in service.compute_month(session, DEC)}["tz_scjgj"].metrics
    office = Actor("user:xyb", "credit_office")
    rid = session.scalar(select(Record.id).where(Record.document_number == "台椒市监处罚〔2025〕1号"))
    assert rid is not None
    view = objections.file_objection(
        session,
        record_id=rid,
        ground="wrong_content",
        statement="处罚内容记载有误",
        actor=office,
        received_on=date(2026, 12, 3),
        today=date(2026, 12, 7),
    )
    # The platform's copy differs from the department's: 异议成立, decided on 12-04.
    objections.take_step(
        session,
        view.id,
        action="compare",
        result="differs",
        actor=office,
        on=date(2026, 12, 4),
        today=date(2026, 12, 7),
    )
    session.commit()
    after = {c.provider_code: c for c in service.compute_month(session, DEC)}
    scjg = after["tz_scjgj"]
    assert scjg.metrics.upheld_objections == 1
    assert {i.item_code: i.metrics.upheld_objections for i in scjg.items}[PENALTY] == 1
    assert scjg.metrics.accuracy is not None and before.accuracy is not None
    assert scjg.metrics.accuracy < before.accuracy
    assert after["tz_stj"].metrics.upheld_objections == 0
    # Decided in December: November's scorecard does not count it.
    nov = {c.provider_code: c for c in service.compute_month(session, date(2026, 11, 1))}
    assert nov["tz_scjgj"].metrics.upheld_objections == 0
