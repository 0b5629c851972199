"""Staff search/export/flags of the query log, the portal's subject page per role with its
purpose select, 谁查询了我, and re-encryption of ID numbers under a new key."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.access.conftest import City
from xinyong.accounts import service as accounts_service
from xinyong.core import crypto
from xinyong.core.db import Database
from xinyong.core.settings import reset_settings
from xinyong.ledger import service as ledger
from xinyong.subjects import service as subjects_service


def _login(client: TestClient, db: Database, username: str) -> None:
    with db.session() as s:
        token, _ = accounts_service.create_session(s, username)
    client.cookies.clear()
    client.cookies.set("xinyong_session", token)


def test_staff_search_export_and_flags(app_client: TestClient, db: Database, city: City) -> None:
    for purpose in ("supervision", "honours"):
        r = app_client.get(
            f"/api/v1/subjects/{city.company}/records",
            headers=city.keys["regulator"],
            params={"purpose": purpose},
        )
        assert r.status_code == 200
    office = city.keys["credit_office"]
    page = app_client.get("/api/v1/query-log", headers=office, params={"subject": city.company}).json()
    assert page["total"] == 2 and {e["purpose"] for e in page["items"]} == {"supervision", "honours"}
    assert page["items"][0]["organisation"] == "台州市发展和改革委员会"
    only = app_client.get("/api/v1/query-log", headers=office, params={"purpose": "评优评先"}).json()
    assert [e["purpose"] for e in only["items"]] == ["honours"]
    by_item = app_client.get("/api/v1/query-log", headers=office, params={"item": "administrative_licence"})
    assert by_item.json()["total"] == 2
    none = app_client.get("/api/v1/query-log", headers=office, params={"item": "honour"}).json()
    assert none["total"] == 0
    # The search itself was logged (purpose audit, about the subject searched for).
    again = app_client.get("/api/v1/query-log", headers=office, params={"action": "query_log.search"}).json()
    assert again["total"] >= 1 and again["items"][0]["purpose"] == "audit"

    r = app_client.get("/api/v1/query-log/export.csv", headers=office, params={"action": "records.list"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "查询时间", "查询人"] and len(rows) == 3
    assert {row[6] for row in rows[1:]} == {"监管执法", "评优评先"}

    flags = app_client.get("/api/v1/query-log/flags", headers=office, params={"all": "true"}).json()
    assert any(f["organisation"] == "台州市发展和改革委员会" and not f["flagged"] for f in flags)
    # Not for regulators, subjects or the public (the policy table).
    assert app_client.get("/api/v1/query-log", headers=city.keys["regulator"]).status_code == 403
    assert app_client.get("/api/v1/query-log").status_code == 401
    purposes = app_client.get("/api/v1/purposes", params={"role": "bank"}).json()
    # credit_report: a bank obtaining a report (full only with the subject's authorisation, reports).
    assert [p["code"] for p in purposes] == ["credit_lending", "credit_report"] and purposes[0]["source"]


def test_portal_subject_page_per_role_and_purpose(app_client: TestClient, db: Database, city: City) -> None:
    url = f"/subjects/id/{city.accounts.person_id}"
    public = app_client.get(url).text
    assert "台市监罚〔2026〕9号" not in public and city.person_name not in public
    assert 'name="purpose"' not in public

    _login(app_client, db, city.accounts.usernames["regulator"])
    plain = app_client.get(url).text
    assert "台市监罚〔2026〕9号" not in plain and 'name="purpose"' in plain and "监管执法" in plain
    with db.session() as s:
        before = s.execute(text("SELECT COUNT(*) FROM query_log")).scalar_one()
    shown = app_client.get(url, params={"purpose": "supervision"}).text
    assert "台市监罚〔2026〕9号" in shown and city.person_name in shown
    assert city.person not in shown  # a regulator sees the ID number masked only
    assert "本次查询已记入查询记录" in shown
    with db.session() as s:
        assert s.execute(text("SELECT COUNT(*) FROM query_log")).scalar_one() == before + 1
    denied = app_client.get(url, params={"purpose": "credit_lending"})
    assert denied.status_code == 200 and "台市监罚〔2026〕9号" not in denied.text and "不得" in denied.text

    _login(app_client, db, city.accounts.usernames["credit_office"])
    office = app_client.get(url, params={"purpose": "supervision"}).text
    assert city.person in office  # credit office with a purpose: the full number


def test_subject_sees_its_viewers_on_the_portal(app_client: TestClient, db: Database, city: City) -> None:
    _login(app_client, db, city.accounts.usernames["regulator"])
    assert app_client.get(f"/subjects/{city.company}", params={"purpose": "honours"}).status_code == 200
    _login(app_client, db, city.accounts.usernames["subject"])
    own = app_client.get(f"/subjects/{city.company}").text
    assert "台市监罚〔2026〕2号" in own and "已撤销" in own  # its whole file, withdrawn included
    page = app_client.get("/my/viewers")
    assert page.status_code == 200
    assert "台州市发展和改革委员会" in page.text and "评优评先" in page.text
    assert "t_regulator" not in page.text  # the organisation, not the officer
    assert 'href="/my/viewers"' in app_client.get("/account").text
    _login(app_client, db, city.accounts.usernames["regulator"])
    assert app_client.get("/my/viewers", follow_redirects=False).status_code == 403


def test_rotate_pii_reencrypts_id_numbers_with_the_new_key(
    db: Database, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.cli import app
    from xinyong.subjects.models import Subject

    with db.session() as s:
        old = s.scalar(select(Subject.id_number_enc).where(Subject.id == city.accounts.person_id))
    assert old is not None and old.startswith("v1:")
    monkeypatch.setenv("XINYONG_PII_KEYS", '{"2": "a-new-key-for-tests-only"}')
    monkeypatch.setenv("XINYONG_PII_KEY_VERSION", "2")
    reset_settings()
    result = CliRunner().invoke(app, ["keys", "rotate-pii", "--batch", "1"])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        new = s.scalar(select(Subject.id_number_enc).where(Subject.id == city.accounts.person_id))
        assert new is not None and new.startswith("v2:") and crypto.decrypt(new) == city.person
        assert subjects_service.reveal_id_number(s, city.accounts.person_id) == city.person
        assert subjects_service.reencrypt_id_numbers(s) == 0  # nothing left under v1
        assert ledger.verify(s).ok
        kinds = s.scalars(
            select(ledger.LedgerEntry.kind).where(ledger.LedgerEntry.kind == "pii.reencrypt")
        ).all()
        assert kinds  # the rotation is in the ledger
        # The person is still found by ID number: the blind index did not change.
        assert subjects_service.get_by_code(s, city.person).id == city.accounts.person_id
    # Without the v2 key the ciphertext cannot be read: no silent fallback.
    monkeypatch.delenv("XINYONG_PII_KEYS")
    reset_settings()
    with pytest.raises(crypto.PiiKeyMissing):
        crypto.decrypt(new)
