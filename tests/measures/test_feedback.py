"""Feedback (奖惩案例反馈): departments report the measures they applied; statistics by
department and measure; checks with no feedback after the deadline (working days) are flagged;
typical cases (案例) with a short text, published with persons de-identified."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.measures.helpers import PROCUREMENT, build_city
from xinyong.core.db import Database
from xinyong.ledger.models import LedgerEntry
from xinyong.measures import service
from xinyong.measures.schemas import CheckAnswer


def _feedback(check_id: str | None, code: str, **over: object) -> dict:
    body = {
        "subject": code,
        "measure": "P01",
        "matter": PROCUREMENT,
        "action": "applied",
        "applied_on": date.today().isoformat(),
        "document_number": "台财采〔2026〕18号",
        "check_id": check_id,
        "note": "",
    }
    body.update(over)
    return body


def test_report_stats_and_typical_cases(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    regulator = auth_headers("regulator")
    check = client.post(
        "/api/v1/checks",
        json={"subject": city.bad_code, "matter": PROCUREMENT, "purpose": "public_resource_trading"},
        headers=regulator,
    ).json()
    r = client.post("/api/v1/feedback", json=_feedback(check["check_id"], city.bad_code), headers=regulator)
    assert r.status_code == 201, r.text
    fb = r.json()
    assert fb["measure_name_zh"] == "限制参加政府采购活动" and fb["department_code"] == "test_regulator"
    # The same report twice is refused; wrong matter, unknown action and a missing reason too.
    assert (
        client.post(
            "/api/v1/feedback", json=_feedback(check["check_id"], city.bad_code), headers=regulator
        ).status_code
        == 409
    )
    r = client.post(
        "/api/v1/feedback", json=_feedback(None, city.bad_code, matter="honours"), headers=regulator
    )
    assert r.json()["error"]["code"] == "measures.matter_mismatch"
    r = client.post(
        "/api/v1/feedback",
        json=_feedback(None, city.bad_code, measure="P02", action="not_applied"),
        headers=regulator,
    )
    assert r.json()["error"]["code"] == "measures.reason_required"
    r = client.post(
        "/api/v1/feedback",
        json=_feedback(
            None,
            city.bad_code,
            measure="P02",
            action="not_applied",
            note="处罚已撤销，不予限制",
            document_number="台财采〔2026〕19号",
        ),
        headers=regulator,
    )
    assert r.status_code == 201
    # Another department cannot attach feedback to this department's check.
    r = client.post(
        "/api/v1/feedback",
        json=_feedback(check["check_id"], city.bad_code, document_number="x"),
        headers=auth_headers("provider"),
    )
    assert r.status_code == 404

    stats = client.get("/api/v1/feedback/stats", headers=regulator).json()
    rows = {(row["department_code"], row["measure"]): row for row in stats["rows"]}
    assert rows[("test_regulator", "P01")] | {} == {
        "department_code": "test_regulator",
        "measure": "P01",
        "measure_name_zh": "限制参加政府采购活动",
        "kind": "punishment",
        "checks_with_measure": 1,
        "feedback": 1,
        "applied": 1,
        "not_applied": 0,
        "typical": 0,
    }
    assert rows[("test_regulator", "P02")]["not_applied"] == 1
    assert stats["total_checks_with_measures"] == 1 and stats["total_feedback"] == 2

    staff = auth_headers("credit_office")
    r = client.post(
        f"/api/v1/feedback/{fb['id']}/typical",
        json={"text": "严重失信企业投标政府采购项目被依法拒绝"},
        headers=staff,
    )
    assert r.status_code == 200 and r.json()["typical"] is True
    cases = client.get("/api/v1/measures/cases").json()  # published: no sign-in
    assert cases[0]["subject_name"] == "台州市失信机械有限公司" and cases[0]["measure"] == "P01"
    assert cases[0]["text"].startswith("严重失信企业")
    assert client.get("/api/v1/feedback/stats", headers=staff).json()["rows"][0]["typical"] == 1
    kinds = sorted(session.scalars(select(LedgerEntry.kind).where(LedgerEntry.kind.like("measure.%"))))
    assert kinds == ["measure.feedback", "measure.feedback", "measure.typical_case"]


def test_checks_without_feedback_are_flagged_after_the_deadline(
    client: TestClient, session: Session, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    caller = service.Caller(label="key:test", role="regulator", department_code="test_regulator")
    # Two checks made a month ago (more than 10 working days), one today, one with nothing applied.
    past = datetime.now(UTC) - timedelta(days=31)
    with db.session() as s:

        def procurement_check(code: str, now: datetime | None = None) -> CheckAnswer:
            return service.check(
                s,
                subject_code=code,
                matter_code=PROCUREMENT,
                purpose="public_resource_trading",
                caller=caller,
                now=now,
            )

        old = procurement_check(city.bad_code, past)
        old2 = procurement_check(city.good_code, past)
        procurement_check(city.plain_code, past)
        procurement_check(city.bad_code)
    regulator = auth_headers("regulator")
    overdue = client.get("/api/v1/checks", params={"overdue": "true"}, headers=regulator).json()
    assert {c["check_id"] for c in overdue["items"]} == {old.check_id, old2.check_id}
    assert all(c["overdue"] for c in overdue["items"])
    r = client.post(
        "/api/v1/feedback",
        json=_feedback(
            old2.check_id,
            city.good_code,
            measure="R05",
            action="applied",
            document_number="台财采〔2026〕20号",
        ),
        headers=regulator,
    )
    assert r.status_code == 201, r.text
    overdue = client.get("/api/v1/checks", params={"overdue": "true"}, headers=regulator).json()
    assert [c["check_id"] for c in overdue["items"]] == [old.check_id]
    assert client.get("/api/v1/feedback/stats", headers=regulator).json()["overdue_checks"] == 1
    # The credit office sees every department's overdue checks.
    assert (
        client.get(
            "/api/v1/checks", params={"overdue": "true"}, headers=auth_headers("credit_office")
        ).json()["total"]
        == 1
    )
