"""Disclosure per role on every read path, with purposes and the query log (issue 4 §2-§3)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.access.conftest import City
from tests.records import helpers as h
from xinyong.accounts import service as accounts_service
from xinyong.core.db import Database
from xinyong.querylog.models import QueryLogEntry

SUPERVISION = {"X-Purpose": "supervision"}
CONFIDENTIAL_FIELD = "legal_representative_id_number"  # 法定代表人证件号码: 不予公开


def _log_count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(QueryLogEntry)) or 0


def _last_entry(db: Database) -> QueryLogEntry:
    with db.session() as s:
        row = s.scalars(select(QueryLogEntry).order_by(QueryLogEntry.id.desc())).first()
        assert row is not None
        return row


def _get(client: TestClient, url: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    r = client.get(url, headers=headers or {}, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_natural_persons_penalty_is_invisible_to_the_public_and_visible_to_a_regulator_with_purpose(
    app_client: TestClient, db: Database, city: City
) -> None:
    url = f"/api/v1/subjects/{city.person}/records"
    # No existence oracle (issue 20 §4): to the public the person's ID number is unknown.
    for path in (url, f"/api/v1/subjects/{city.person}/credit-state", f"/api/v1/subjects/{city.person}"):
        r = app_client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "subject.not_found"
        assert city.person not in r.text
    assert app_client.get(f"/api/v1/records/{city.person_penalty}").status_code == 404
    assert _log_count(db) == 0

    regulator = city.keys["regulator"]
    missing = app_client.get(url, headers=regulator)
    assert missing.status_code == 422
    body = missing.json()["error"]
    assert body["code"] == "purpose.required" and body["message_zh"]
    assert {"code": "supervision", "name_zh": "监管执法"} in body["details"]["allowed"]
    wrong = app_client.get(url, headers={**regulator, "X-Purpose": "credit_lending"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "purpose.not_allowed"
    unknown = app_client.get(url, headers=regulator, params={"purpose": "好奇"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "purpose.unknown"
    assert _log_count(db) == 0  # refused requests return nothing and log nothing

    page = _get(app_client, url, {**regulator, **SUPERVISION})
    assert [r["document_number"] for r in page["items"]] == ["台市监罚〔2026〕9号"]
    fields = page["items"][0]["fields"]
    assert fields["subject_name"] == city.person_name  # not de-identified for government
    assert fields["id_number"] == city.person[:6] + "********" + city.person[-4:]  # government field, masked
    # The Chinese name of the purpose works too (query parameter).
    assert _get(app_client, url, regulator, purpose="监管执法")["total"] == 1
    detail = _get(app_client, f"/api/v1/records/{city.person_penalty}", {**regulator, **SUPERVISION})
    assert detail["versions"][0]["fields"]["subject_name"] == city.person_name
    assert (
        _get(app_client, f"/api/v1/subjects/{city.person}/credit-state", {**regulator, **SUPERVISION})[
            "records_in_force"
        ]
        == 1
    )
    assert _log_count(db) == 4


def test_a_confidential_field_is_in_no_response_for_any_role(
    app_client: TestClient, db: Database, city: City
) -> None:
    callers: dict[str, tuple[dict[str, str], str | None]] = {
        "public": ({}, None),
        "subject": (city.keys["subject"], None),
        "regulator": (city.keys["regulator"], "supervision"),
        "credit_office": (city.keys["credit_office"], "data_maintenance"),
        "provider": (city.keys["provider"], "data_maintenance"),
        "bank": (city.keys["bank"], None),
        "admin": (city.keys["admin"], None),
    }
    record_ids = (city.company_penalty, city.company_licence, city.other_provider_record)
    seen_fields = 0
    for role, (headers, purpose) in callers.items():
        params = {"purpose": purpose} if purpose else {}
        bodies = [_get(app_client, f"/api/v1/subjects/{city.company}/records", headers, **params)]
        for rid in record_ids:
            r = app_client.get(f"/api/v1/records/{rid}", headers=headers, params=params)
            assert r.status_code == 200, (role, rid, r.text)
            bodies.append(r.json())
        for body in bodies:
            text = json.dumps(body, ensure_ascii=False)
            assert CONFIDENTIAL_FIELD not in text, role
            assert h.ric(99) not in text and h.ric(99)[6:14] not in text, role
        seen_fields += sum(len(i["fields"]) for i in bodies[0]["items"])
    assert seen_fields > 0


def test_each_role_sees_its_view(app_client: TestClient, db: Database, city: City) -> None:
    url = f"/api/v1/subjects/{city.company}/records"

    def docs(headers: dict[str, str], **params: Any) -> dict[str, dict[str, Any]]:
        return {r["document_number"]: r for r in _get(app_client, url, headers, **params)["items"]}

    public = docs({})
    assert set(public) == {"台市监罚〔2026〕1号", "台市监许〔2026〕7号", "台环罚〔2026〕3号"}
    assert "division_code" not in json.dumps(public, ensure_ascii=False)
    # The subject's own file: ended and withdrawn records too, with versions.
    own = docs(city.keys["subject"])
    assert own["台市监罚〔2026〕2号"]["status"] == "withdrawn"
    versions = _get(app_client, f"/api/v1/records/{city.withdrawn}", city.keys["subject"])["versions"]
    assert [v["change"] for v in versions] == ["created", "withdrawn"]
    assert versions[0]["fields"]["document_number"] == "台市监罚〔2026〕2号"
    # Nobody else sees the withdrawn record.
    for role in ("regulator", "credit_office"):
        assert "台市监罚〔2026〕2号" not in docs(city.keys[role], purpose="supervision")
    assert app_client.get(f"/api/v1/records/{city.withdrawn}").status_code == 404
    # Government view: government fields (e.g. 法定代表人证件类型) appear.
    gov = docs(city.keys["regulator"], purpose="supervision")
    assert "legal_representative_id_type" in gov["台市监罚〔2026〕1号"]["fields"]
    assert "legal_representative_id_type" not in public["台市监罚〔2026〕1号"]["fields"]
    # A provider: government fields on its own department's records only.
    prov = docs(city.keys["provider"], purpose="data_maintenance")
    assert "legal_representative_id_type" in prov["台市监罚〔2026〕1号"]["fields"]
    assert "legal_representative_id_type" not in prov["台环罚〔2026〕3号"]["fields"]
    other = docs(city.other_provider_key, purpose="data_maintenance")
    assert "legal_representative_id_type" in other["台环罚〔2026〕3号"]["fields"]
    assert "legal_representative_id_type" not in other["台市监罚〔2026〕1号"]["fields"]
    # A provider cannot use a purpose of another role; a bank and an admin see the public view.
    r = app_client.get(url, headers=city.keys["provider"], params={"purpose": "honours"})
    assert r.status_code == 403
    assert docs(city.keys["bank"], purpose="credit_lending").keys() == public.keys()
    assert docs(city.keys["admin"]).keys() == public.keys()


def test_full_id_number_only_to_the_person_and_credit_office_with_purpose(
    app_client: TestClient, db: Database, city: City
) -> None:
    url = f"/api/v1/subjects/{city.person}"
    masked = city.person[:6] + "********" + city.person[-4:]
    public = app_client.get(url)  # no existence oracle: the public gets the unknown-code answer
    assert public.status_code == 404 and public.json()["error"]["details"]["value"] == masked
    assert city.person not in public.text
    regulator = _get(app_client, url, {**city.keys["regulator"], **SUPERVISION})
    assert regulator["id_number"] is None and regulator["name"] == city.person_name
    office = _get(app_client, url, {**city.keys["credit_office"], **SUPERVISION})
    assert office["id_number"] == city.person
    itself = _get(app_client, url, city.person_key)  # 本人查询 is implied for one's own file
    assert itself["id_number"] == city.person
    entry = _last_entry(db)
    assert (entry.role, entry.purpose, entry.items) == (
        "subject",
        "self_query",
        ["id_number", "subject_profile"],
    )
    # A person's row needs a purpose from government roles; a company's row does not.
    assert app_client.get(url, headers=city.keys["credit_office"]).status_code == 422
    assert (
        app_client.get(f"/api/v1/subjects/{city.company}", headers=city.keys["credit_office"]).status_code
        == 200
    )


def test_every_non_public_read_leaves_exactly_one_log_entry(
    app_client: TestClient, db: Database, city: City
) -> None:
    reads = [
        (f"/api/v1/subjects/{city.company}/records", "records.list"),
        (f"/api/v1/records/{city.company_penalty}", "record.view"),
        (f"/api/v1/subjects/{city.company}", "subject.view"),
        (f"/api/v1/subjects/{city.company}/credit-state", "credit_state.view"),
    ]
    for url, action in reads:
        before = _log_count(db)
        _get(app_client, url)  # public: not logged
        assert _log_count(db) == before
        _get(app_client, url, {**city.keys["regulator"], "X-Purpose": "administrative_approval"})
        assert _log_count(db) == before + 1, url
        e = _last_entry(db)
        assert (e.action, e.purpose, e.role, e.subject_id) == (
            action,
            "administrative_approval",
            "regulator",
            city.accounts.company_id,
        )
        assert e.actor.startswith("key:") and e.api_key_id is not None and e.client_ip
    listed = _last_entry(db)
    with db.session() as s:
        first = s.scalars(select(QueryLogEntry).order_by(QueryLogEntry.id)).first()
    assert first is not None and first.items == ["administrative_licence", "administrative_penalty"]
    assert first.result_count == 3 and listed.organisation


def test_a_key_limited_to_items_sees_only_those_items(
    app_client: TestClient, db: Database, city: City
) -> None:
    with db.session() as s:
        _, key = accounts_service.create_api_key(
            s,
            name="limited",
            role="regulator",
            scopes=["records:read"],
            items=[h.LICENCE],
            username=city.accounts.usernames["regulator"],
        )
    headers = {"Authorization": f"Bearer {key}", **SUPERVISION}
    page = _get(app_client, f"/api/v1/subjects/{city.company}/records", headers)
    assert {r["item_code"] for r in page["items"]} == {h.LICENCE}
    r = app_client.get(f"/api/v1/records/{city.company_penalty}", headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.item_denied"


def test_a_subject_sees_who_viewed_its_file(app_client: TestClient, db: Database, city: City) -> None:
    _get(app_client, f"/api/v1/subjects/{city.company}/records", {**city.keys["regulator"], **SUPERVISION})
    _get(app_client, f"/api/v1/subjects/{city.company}/records", city.keys["subject"])  # its own look
    _get(app_client, f"/api/v1/subjects/{city.company}/records")  # public: not a viewing
    viewers = _get(app_client, "/api/v1/me/viewers", city.keys["subject"])
    assert viewers["total"] == 1
    v = viewers["items"][0]
    assert (v["organisation"], v["role"], v["purpose_zh"]) == (
        "台州市发展和改革委员会",
        "regulator",
        "监管执法",
    )
    assert "actor" not in v and "client_ip" not in v  # the subject sees the organisation, not the person
    # The person, another subject, has no viewers.
    assert _get(app_client, "/api/v1/me/viewers", city.person_key)["total"] == 0
