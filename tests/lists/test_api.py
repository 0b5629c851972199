"""The lists API, called as each kind of caller: providers run their department's
procedures, the subject answers its own, the public sees published lists (public fields only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.fixtures import key_headers
from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.accounts import service as accounts
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate

SCOPES = ["lists:read", "lists:write", "lists:statement"]


@dataclass
class Keys:
    city: h.City
    scjg: dict[str, str]
    sthj: dict[str, str]
    office: dict[str, str]
    company: dict[str, str]
    other: dict[str, str]


@pytest.fixture
def keys(db: Database) -> Keys:
    subject_scopes = ["lists:read", "lists:statement"]
    with db.session() as s:
        city = h.build_city(s)
        accounts.create_department(s, "tz_xyb", "台州市信用办")
        scjg = key_headers(s, "市监局名单系统", "provider", SCOPES, provider_code=h.SCJG)
        sthj = key_headers(s, "生态环境局", "provider", SCOPES, provider_code=h.STHJ)
        office = key_headers(s, "信用办", "credit_office", SCOPES, department_code="tz_xyb")
        company = key_headers(s, "企业", "subject", subject_scopes, subject_code=rh.uscc(1))
        other = key_headers(s, "另一企业", "subject", subject_scopes, subject_code=rh.uscc(2))
    return Keys(city, scjg, sthj, office, company, other)


def test_a_listing_through_the_api(client: TestClient, keys: Keys, session: Session) -> None:
    body = {
        "list_type": "blacklist",
        "subject_code": rh.uscc(1),
        "reasons": "生产销售不合格产品被吊销许可证件",
        "on": "2026-03-02",
    }
    # A blacklisting rests on a judgment, penalty or enforcement decision named by id.
    refused = client.post("/api/v1/lists/procedures", json=body, headers=keys.scjg)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "lists.basis_record_required"
    assert error["details"]["field"] == "basis_record_id"
    assert "据以认定的信用记录" in error["message_zh"]
    basis = h.basis_penalty(session, keys.city.company, date(2026, 3, 2))
    session.commit()
    r = client.post("/api/v1/lists/procedures", json={**body, "basis_record_id": basis}, headers=keys.scjg)
    assert r.status_code == 201, r.text
    assert r.json()["basis_record_id"] == basis
    pid = r.json()["id"]
    assert (r.json()["status"], r.json()["department_code"]) == ("proposed", h.SCJG)
    assert (
        client.post(
            f"/api/v1/lists/procedures/{pid}/notice", json={"on": "2026-03-02"}, headers=keys.scjg
        ).json()["statement_due"]
        == "2026-03-09"
    )
    # Only the subject itself (or the department) answers; another subject does not even see it.
    r = client.post(
        f"/api/v1/lists/procedures/{pid}/statement",
        json={"text": "不服", "on": "2026-03-03"},
        headers=keys.other,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "lists.procedure_not_found"
    r = client.post(
        f"/api/v1/lists/procedures/{pid}/statement",
        json={"text": "已整改，申请从轻", "hearing_requested": True, "on": "2026-03-03"},
        headers=keys.company,
    )
    assert r.status_code == 200 and r.json()["status"] == "heard"
    mine = client.get("/api/v1/lists/my/procedures", headers=keys.company).json()
    assert [p["id"] for p in mine] == [pid] and mine[0]["steps"][1]["action"] == "notice"
    assert "陈述和申辩" in mine[0]["steps"][1]["text"]
    assert client.get("/api/v1/lists/my/procedures", headers=keys.other).json() == []
    # Another department cannot decide; the deciding department can.
    decision = {
        "outcome": "list",
        "reasons": "理由不成立",
        "document_number": "台市监信决〔2026〕5号",
        "signed_by": "张局长",
        "on": "2026-03-10",
    }
    r = client.post(f"/api/v1/lists/procedures/{pid}/decision", json=decision, headers=keys.sthj)
    assert r.status_code == 403 and r.json()["error"]["code"] == "lists.not_your_department"
    r = client.post(f"/api/v1/lists/procedures/{pid}/decision", json=decision, headers=keys.scjg)
    assert r.status_code == 200 and r.json()["status"] == "listed"
    assert [p["name"] for p in r.json()["liable_persons"]] == ["王建国"]
    # The state row carries the membership right after the transition.
    assert creditstate.list_memberships(session, [keys.city.company]) == {keys.city.company: ["blacklist"]}
    # Not public before publication.
    assert client.get("/api/v1/lists/members").json()["total"] == 0
    assert client.get(f"/api/v1/lists/announcements/{pid}").status_code == 404
    assert (
        client.post(
            f"/api/v1/lists/procedures/{pid}/publication", json={"on": "2026-03-11"}, headers=keys.scjg
        ).status_code
        == 200
    )
    members = client.get("/api/v1/lists/members", params={"kind": "black"}).json()
    assert members["total"] == 1
    (m,) = members["items"]
    assert (m["subject_name"], m["subject_code"], m["decision_document"]) == (
        "台州市椒江区安信机械有限公司",
        rh.uscc(1),
        "台市监信决〔2026〕5号",
    )
    assert "statement" not in str(m) and "已整改" not in str(m)
    ann = client.get(f"/api/v1/lists/announcements/{pid}").json()
    assert ann["liable_persons"] == [
        {"role": "legal_representative", "role_zh": "法定代表人", "name": "王建国"}
    ]
    # An invalid transition is a 409 naming the state.
    r = client.post(f"/api/v1/lists/procedures/{pid}/publication", json={}, headers=keys.scjg)
    assert r.status_code == 409
    assert (r.json()["error"]["code"], r.json()["error"]["details"]["state"]) == (
        "lists.invalid_transition",
        "published",
    )
    # Staff see the queue; a provider its own procedures.
    queue = client.get("/api/v1/lists/queue", headers=keys.office).json()
    assert [q["procedure"]["id"] for q in queue] == [pid] and queue[0]["step"] in (
        "interview",
        "rectification",
    )
    assert client.get("/api/v1/lists/procedures", headers=keys.sthj).json()["total"] == 0
    assert client.get("/api/v1/lists/procedures", headers=keys.office).json()["total"] == 1
    assert client.get(f"/api/v1/lists/procedures/{pid}", headers=keys.sthj).status_code == 404
    detail = client.get(f"/api/v1/lists/procedures/{pid}", headers=keys.scjg).json()
    assert [s["action"] for s in detail["steps"]] == ["propose", "notice", "statement", "decide", "publish"]


def test_public_lists_and_types(client: TestClient, keys: Keys, db: Database) -> None:
    with db.session() as s:
        h.court_record(s, keys.city, "(2026)浙10执9号", subject=keys.city.person, decision=h.recent(10))
        h.consume(s)
    types = client.get("/api/v1/lists/types").json()
    assert {t["code"] for t in types} >= {"red_list", "watch_list", "blacklist"}
    assert all(t["legal_basis"] for t in types)
    (m,) = client.get("/api/v1/lists/members", params={"list_type": "dishonest_judgment_debtor"}).json()[
        "items"
    ]
    # A natural person is shown de-identified.
    assert m["subject_name"] == "李**" and "*" in m["subject_code"] and m["subject_kind"] == "natural_person"
    assert client.get("/api/v1/lists/members", params={"list_type": "nope"}).status_code == 404


def test_an_ingest_provider_key_runs_its_department_procedures(client: TestClient, db: Database) -> None:
    """Old-style provider keys (``xinyong provider add``, the demo) carry the provider role's
    default scopes: they propose and decide listings of their department, not only submit."""
    from xinyong.ingest import service as ingest_service

    with db.session() as s:
        city = h.build_city(s)
        _, key = ingest_service.create_provider(s, "TZJT", "台州市交通运输局", None, [rh.PENALTY])
        basis = h.basis_penalty(s, city.other, date(2026, 3, 2))
        s.commit()
    headers = {"X-Api-Key": key}
    r = client.post(
        "/api/v1/lists/procedures",
        json={
            "list_type": "blacklist",
            "subject_code": rh.uscc(2),
            "reasons": "拒不履行",
            "on": "2026-03-02",
            "basis_record_id": basis,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["department_code"] == "TZJT"
    pid = r.json()["id"]
    r = client.post(f"/api/v1/lists/procedures/{pid}/notice", json={"on": "2026-03-02"}, headers=headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/lists/queue", headers=headers).status_code == 200
