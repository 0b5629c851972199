"""The subjects and governance HTTP API and CLI: shapes, errors, and masked ID numbers only."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.subjects.util import ric, uscc, uscc_inner_mismatch
from xinyong.core.db import Database
from xinyong.subjects import service as subjects


def _seed(db: Database) -> dict[str, int]:
    with db.session() as s:
        company = subjects.create_subject(
            s,
            kind="enterprise",
            name="台州市椒江区鑫达机械制造有限公司",
            uscc=uscc(1),
            former_names=["鑫达机械厂"],
        )
        person = subjects.create_subject(s, kind="natural_person", name="陈一", id_number=ric(3))
        subjects.add_relation(s, company, person, "legal_representative", source="市市场监督管理局")
        subjects.create_subject(s, kind="enterprise", name="错码实业有限公司", uscc=uscc_inner_mismatch(9))
    return {"company": company, "person": person}


def _assert_error(body: dict[str, object], code: str) -> None:
    err = body["error"]
    assert isinstance(err, dict)
    assert set(err) == {"code", "message", "message_zh", "details"}
    assert err["code"] == code and err["message_zh"]


def test_subject_by_uscc_and_relations(client: TestClient, db: Database) -> None:
    ids = _seed(db)
    r = client.get(f"/api/v1/subjects/{uscc(1)}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == ids["company"] and body["former_names"] == ["鑫达机械厂"]
    rel = client.get(f"/api/v1/subjects/{uscc(1)}/relations").json()
    # The public sees a related natural person's name de-identified (as the portal shows it).
    assert [(x["direction"], x["role"], x["other"]["name"]) for x in rel] == [
        ("outgoing", "legal_representative", "陈*")
    ]
    assert rel[0]["other"]["id_number_masked"].startswith("331002****")


def test_public_search_and_relations_mask_person_names_staff_see_them(
    client: TestClient, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    from xinyong.querylog import service as querylog

    ids = _seed(db)
    # No existence oracle: the public search never finds a natural person by name.
    found = client.get("/api/v1/subjects", params={"q": "陈一"}).json()
    assert found["items"] == [] and found["total"] == 0
    assert "陈" not in client.get("/api/v1/subjects", params={"q": "陈一"}).text
    # Organisations keep their names.
    company = client.get("/api/v1/subjects", params={"q": "鑫达"}).json()["items"]
    assert company[0]["subject"]["name"] == "台州市椒江区鑫达机械制造有限公司"
    # A regulator without a purpose gets the public view; with one, the names in full (logged).
    regulator = auth_headers("regulator")
    r = client.get(f"/api/v1/subjects/{uscc(1)}/relations", headers=regulator)
    assert r.json()[0]["other"]["name"] == "陈*"
    r = client.get(f"/api/v1/subjects/{uscc(1)}/relations", headers={**regulator, "X-Purpose": "supervision"})
    assert r.status_code == 200 and r.json()[0]["other"]["name"] == "陈一"
    r = client.get("/api/v1/subjects", params={"q": "陈一", "purpose": "supervision"}, headers=regulator)
    assert r.json()["items"][0]["subject"]["name"] == "陈一"
    r = client.get("/api/v1/subjects", params={"q": "陈一", "purpose": "credit_lending"}, headers=regulator)
    assert r.status_code == 403 and r.json()["error"]["code"] == "purpose.not_allowed"
    with db.session() as s:
        actions = {e.action for e in querylog.search(s).items}
        assert {"subject.relations", "subjects.search"} <= actions
        assert querylog.search(s, querylog.LogFilter(subject_id=ids["company"])).total == 1
    # The company's own account sees its legal representative in full.
    own = auth_headers("subject", subject_code=uscc(1))
    r = client.get(f"/api/v1/subjects/{uscc(1)}/relations", headers=own)
    assert r.json()[0]["other"]["name"] == "陈一"


def test_id_numbers_never_leave_unmasked(client: TestClient, db: Database) -> None:
    _seed(db)
    number = ric(3)
    responses = [
        client.get(f"/api/v1/subjects/{number}"),
        client.get(f"/api/v1/subjects/{number}/relations"),
        client.get("/api/v1/subjects", params={"q": number}),
        client.get("/api/v1/subjects", params={"q": "陈一"}),
        client.get(f"/api/v1/subjects/{uscc(1)}/relations"),
        client.get(f"/api/v1/subjects/{ric(4)}"),  # unknown person: the 404 does not echo it
    ]
    # The public learns nothing of a natural person from an ID number or a name (no oracle).
    assert [r.status_code for r in responses] == [404, 404, 200, 200, 200, 404]
    for r in responses:
        assert number not in r.text and ric(4) not in r.text


def test_no_existence_oracle_for_natural_persons(
    client: TestClient, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    """Issue 20 §4: a known person's ID number answers anonymously exactly as an unknown one."""
    _seed(db)
    known, unknown = ric(3), ric(4)

    def answer(code: str, suffix: str = "") -> tuple[int, str]:
        r = client.get(f"/api/v1/subjects/{code}{suffix}")
        body = r.json()
        return r.status_code, body["error"]["code"] if r.status_code != 200 else "ok"

    for suffix in ("", "/relations", "/credit-state"):
        assert answer(known, suffix) == answer(unknown, suffix) == (404, "subject.not_found")
    for q in (known, "陈一"):
        r = client.get("/api/v1/subjects", params={"q": q, "kind": "natural_person"})
        assert r.status_code == 200 and r.json()["total"] == 0
    # The portal: suggest, search and the page by ID number say nothing either.
    assert "陈" not in client.get("/search/suggest", params={"q": "陈一"}).text
    assert "陈*" not in client.get("/search", params={"q": "陈一"}).text
    assert (
        client.get(f"/subjects/{known}").status_code == client.get(f"/subjects/{unknown}").status_code == 404
    )
    # The person itself still finds its own file, and staff with a purpose do.
    own = auth_headers("subject", subject_code=known)
    assert client.get(f"/api/v1/subjects/{known}", headers=own).status_code == 200
    staff = {**auth_headers("credit_office"), "X-Purpose": "supervision"}
    assert client.get(f"/api/v1/subjects/{known}", headers=staff).status_code == 200


def test_not_found_and_bad_request_use_the_error_shape(
    client: TestClient, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    r = client.get(f"/api/v1/subjects/{uscc(77)}")
    assert r.status_code == 404
    _assert_error(r.json(), "subject.not_found")
    r = client.get("/api/v1/subjects", params={"q": "鑫"})
    assert r.status_code == 422
    _assert_error(r.json(), "subject.query_too_short")
    staff = auth_headers("credit_office")  # governance is for credit office staff (access policy)
    r = client.get("/api/v1/governance/cases/999", headers=staff)
    assert r.status_code == 404
    _assert_error(r.json(), "governance.case_not_found")
    r = client.post(
        "/api/v1/governance/cases/1/resolve", json={"resolution": "burn", "by": "x"}, headers=staff
    )
    assert r.status_code == 422
    _assert_error(r.json(), "invalid_request")


def test_search_endpoint(client: TestClient, db: Database) -> None:
    ids = _seed(db)
    body = client.get("/api/v1/subjects", params={"q": "机械厂", "per_page": 5}).json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 5
    item = body["items"][0]
    assert item["subject"]["id"] == ids["company"]
    assert (item["match"], item["matched_name"]) == ("fragment", "鑫达机械厂")
    kind = client.get("/api/v1/subjects", params={"q": "鑫达", "kind": "natural_person"}).json()
    assert kind["total"] == 0


def test_governance_endpoints(
    client: TestClient, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    _seed(db)
    client.headers.update(auth_headers("credit_office"))  # governance is for credit office staff
    detect = client.post("/api/v1/governance/detect")
    assert detect.status_code == 200 and detect.json() == {"opened": 0}  # opened at registration already
    cases = client.get("/api/v1/governance/cases").json()
    assert cases["total"] == 1
    case = cases["items"][0]
    assert case["kind"] == "inner_check_mismatch" and case["code"] == uscc_inner_mismatch(9)
    resolved = client.post(
        f"/api/v1/governance/cases/{case['id']}/resolve",
        json={"resolution": "correct", "by": "张科员", "note": "营业执照核对", "corrected_code": uscc(9)},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution_detail"]["new_code"] == uscc(9)
    again = client.post(
        f"/api/v1/governance/cases/{case['id']}/resolve", json={"resolution": "distinct", "by": "x"}
    )
    assert again.status_code == 409
    _assert_error(again.json(), "governance.case_closed")
    assert client.get("/api/v1/governance/cases", params={"status": "all"}).json()["total"] == 1
    assert client.get(f"/api/v1/governance/cases/{case['id']}").json()["status"] == "resolved"
    report = client.get("/api/v1/governance/report").json()
    assert report["open_total"] == 0 and report["target_per_10000"] == 1 and report["meets_target"] is True
    assert client.get(f"/api/v1/subjects/{uscc(9)}").json()["name"] == "错码实业有限公司"


def test_cli(db: Database, session: Session) -> None:
    from xinyong.cli import app

    _seed(db)
    runner = CliRunner()
    shown = runner.invoke(app, ["subject", "show", uscc(1)])
    assert shown.exit_code == 0, shown.output
    assert "鑫达机械" in shown.output and "陈一" in shown.output
    as_json = runner.invoke(app, ["subject", "show", ric(3), "--json"])
    assert as_json.exit_code == 0 and ric(3) not in as_json.output
    assert json.loads(as_json.output)["subject"]["name"] == "陈一"
    found = runner.invoke(app, ["subject", "search", "机械"])
    assert found.exit_code == 0 and "共 1 个主体" in found.output
    missing = runner.invoke(app, ["subject", "show", uscc(55)])
    assert missing.exit_code == 2
    assert runner.invoke(app, ["governance", "detect"]).exit_code == 0
    listed = runner.invoke(app, ["governance", "list"])
    assert listed.exit_code == 0 and "共 1 个治理事项" in listed.output and "错码" in listed.output
    case_id = subjects.list_cases(session).items[0].id
    done = runner.invoke(app, ["governance", "resolve", str(case_id), "distinct", "--by", "张科员"])
    assert done.exit_code == 0, done.output
    session.expire_all()
    assert subjects.get_case(session, case_id).resolution == "distinct"
    twice = runner.invoke(app, ["governance", "resolve", str(case_id), "distinct", "--by", "张科员"])
    assert twice.exit_code == 2
