"""Every check answer is in the general query log (issue 4 §3), written by the check log's
group-commit writer in the same transaction as the check-log row; the checked subject sees the
checking organisation under "who viewed my file"; the purpose of a check is a purpose code of
purposes.yaml allowed for the caller's role (issue 4 §2)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.measures.helpers import PROCUREMENT, build_city
from xinyong.core.db import Database
from xinyong.querylog import service as querylog


def test_a_check_is_in_the_query_log_and_the_subject_sees_who_checked(
    client: TestClient, session: Session, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    r = client.post(
        "/api/v1/checks",
        json={"subject": city.bad_code, "matter": PROCUREMENT, "purpose": "公共资源交易"},
        headers=auth_headers("regulator"),
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    # The purpose is stored and answered as its code (a Chinese name is accepted on input).
    assert answer["purpose"] == "public_resource_trading"
    assert answer["receipt"]["purpose"] == "public_resource_trading"

    with db.session() as s:
        page = querylog.search(s, querylog.LogFilter(subject_id=city.bad, action="check"))
    (entry,) = page.items
    assert (entry.role, entry.purpose, entry.organisation) == (
        "regulator",
        "public_resource_trading",
        "测试部门 regulator",
    )
    assert entry.actor.startswith("key:") and entry.channel == "api"
    assert entry.reference == f"check:{answer['check_id']}"
    assert entry.client_ip  # from where
    # What the answer used: its measures, the list membership and the records behind them.
    assert {"P01", "P02", "list:blacklist"} <= set(entry.items)
    records = answer["receipt"]["data_version"]["records"]
    assert {f"record:{rid}" for rid in records} <= set(entry.items)
    assert entry.result_count == 2

    # The subject sees the checking organisation, the purpose and the time.
    mine = client.get("/api/v1/me/viewers", headers=auth_headers("subject", subject_code=city.bad_code))
    assert mine.status_code == 200, mine.text
    (viewing,) = mine.json()["items"]
    assert (viewing["organisation"], viewing["purpose_zh"], viewing["action"]) == (
        "测试部门 regulator",
        "公共资源交易",
        "check",
    )


def test_batch_checks_log_one_entry_per_subject_found(
    client: TestClient, session: Session, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    headers = auth_headers("credit_office")
    r = client.post(
        "/api/v1/checks/batch",
        json={
            "subjects": [city.bad_code, city.good_code, "91331002000000099X"],
            "matter": PROCUREMENT,
            "purpose": "public_resource_trading",
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/v1/checks/batch/file",
        files={"file": ("bidders.csv", f"统一社会信用代码\n{city.plain_code}\n".encode(), "text/csv")},
        data={"matter": "bidding", "purpose": "public_resource_trading"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    with db.session() as s:
        entries = querylog.search(s, querylog.LogFilter(action="check.batch")).items
    assert sorted(e.subject_id or 0 for e in entries) == sorted([city.bad, city.good, city.plain])
    assert {e.purpose for e in entries} == {"public_resource_trading"}
    good = next(e for e in entries if e.subject_id == city.good)
    assert "R05" in good.items and "list:red_list" in good.items


def test_the_purpose_of_a_check_is_limited_by_role(
    client: TestClient, session: Session, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    regulator = auth_headers("regulator")

    def post(body: dict[str, object], headers: dict[str, str]) -> tuple[int, dict]:
        r = client.post(
            "/api/v1/checks", json={"subject": city.bad_code, "matter": PROCUREMENT, **body}, headers=headers
        )
        return r.status_code, r.json()

    status, body = post({}, regulator)
    assert status == 422 and body["error"]["code"] == "purpose.required"
    assert "public_resource_trading" in {p["code"] for p in body["error"]["details"]["allowed"]}
    status, body = post({"purpose": "某某项目政府采购资格审查"}, regulator)
    assert status == 422 and body["error"]["code"] == "purpose.unknown"
    # A regulator may not check for a bank's purpose; a provider not for public-resource trading.
    status, body = post({"purpose": "credit_lending"}, regulator)
    assert status == 403 and body["error"]["code"] == "purpose.not_allowed"
    status, body = post({"purpose": "public_resource_trading"}, auth_headers("provider"))
    assert status == 403 and body["error"]["code"] == "purpose.not_allowed"
    status, body = post({"purpose": "administrative_approval"}, auth_headers("provider"))
    assert status == 200, body
    r = client.post(
        "/api/v1/checks/batch",
        json={"subjects": [city.bad_code], "matter": PROCUREMENT, "purpose": "honours_x"},
        headers=regulator,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "purpose.unknown"
    # Refused checks leave no trace in either log; the one allowed check is in both.
    with db.session() as s:
        assert querylog.search(s, querylog.LogFilter(subject_id=city.bad)).total == 1
    listed = client.get("/api/v1/checks", headers=auth_headers("credit_office")).json()
    assert listed["total"] == 1 and listed["items"][0]["purpose"] == "administrative_approval"
