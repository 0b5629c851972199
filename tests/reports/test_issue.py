"""Who may get which report: the subject (free ones a year, configurable), the window, a third
party with and without the subject's authorisation; every issued report in the query log ("who
viewed me"), the register and the ledger. Few PDFs are rendered: decisions are tested directly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.portal.seed import COMPANY, City
from xinyong.accounts.principal import Principal
from xinyong.core.errors import Forbidden, InvalidInput
from xinyong.core.settings import PROJECT_ROOT, reset_settings
from xinyong.ledger import service as ledger
from xinyong.querylog import service as querylog
from xinyong.reports import service
from xinyong.reports.issue import decide_channel

BANK = Principal(
    role="bank", kind="user", username="bank_officer", department_code="tz_bank", department_name="台州银行"
)


def _subject(city: City) -> Principal:
    return Principal(role="subject", kind="user", username="company", subject_id=city.company_id)


def test_channels_and_scopes(session: Session, city: City) -> None:
    subject = service.find_subject(session, city.company_uscc)
    today = city.today
    assert decide_channel(session, _subject(city), subject, "public", None, today) == ("self", "full", None)
    window = Principal(role="credit_office", kind="user", username="clerk")
    assert decide_channel(session, window, subject, "public", None, today) == ("window", "full", None)
    # A bank without the subject's authorisation gets the public information only.
    assert decide_channel(session, BANK, subject, "public", None, today) == ("public", "public", None)


def test_authorisation_scope_expiry_and_revocation(session: Session, city: City) -> None:
    subject = service.find_subject(session, city.company_uscc)
    owner = _subject(city)
    grant = service.grant(
        session,
        owner,
        grantee_department="tz_bank",
        kinds=["public"],
        purpose_zh="流动资金贷款审批",
        expires_on=city.today + timedelta(days=30),
    )
    assert grant.active and grant.kinds_zh == "公共信用信息报告"
    how, scope, grant_id = decide_channel(session, BANK, subject, "public", None, city.today)
    assert (how, scope, grant_id) == ("authorised", "full", grant.id)
    # The scope: public reports only, not special ones.
    assert decide_channel(session, BANK, subject, "special", "税务", city.today)[1] == "public"
    # After its expiry it no longer counts.
    later = city.today + timedelta(days=31)
    assert decide_channel(session, BANK, subject, "public", None, later)[1] == "public"
    # Another organisation is not covered.
    other = Principal(role="bank", kind="user", username="x", department_code="other_bank")
    assert decide_channel(session, other, subject, "public", None, city.today)[1] == "public"
    # Revoked: gone; and only the subject itself may grant or revoke.
    with pytest.raises(Forbidden):
        service.revoke(session, BANK, grant.id)
    service.revoke(session, owner, grant.id)
    assert decide_channel(session, BANK, subject, "public", None, city.today)[1] == "public"
    kinds = [e.kind for e in session.scalars(select(ledger.LedgerEntry).order_by(ledger.LedgerEntry.seq))]
    assert "report.authorisation_granted" in kinds and "report.authorisation_revoked" in kinds


def test_grant_checks_its_fields(session: Session, city: City) -> None:
    owner = _subject(city)
    with pytest.raises(InvalidInput) as both:
        service.grant(
            session,
            owner,
            grantee_department="a",
            grantee_username="b",
            kinds=["public"],
            purpose_zh="x",
            expires_on=city.today,
        )
    assert both.value.code == "reports.grantee_required"
    with pytest.raises(InvalidInput) as far:
        service.grant(
            session,
            owner,
            grantee_department="a",
            kinds=["public"],
            purpose_zh="x",
            expires_on=city.today + timedelta(days=400),
        )
    assert far.value.code == "reports.bad_expiry"
    with pytest.raises(Forbidden):
        service.grant(
            session, BANK, grantee_department="a", kinds=["public"], purpose_zh="x", expires_on=city.today
        )


def test_authorised_report_is_issued_logged_and_shown_to_the_subject(session: Session, city: City) -> None:
    service.grant(
        session,
        _subject(city),
        grantee_department="tz_bank",
        kinds=["public", "special"],
        purpose_zh="贷款审批",
        expires_on=city.today + timedelta(days=10),
    )
    issued = service.issue_report(session, BANK, city.company_uscc, channel="api")
    session.commit()
    assert (issued.channel, issued.scope) == ("authorised", "full")
    assert issued.pdf.startswith(b"%PDF-") and issued.counts["administration"] == 2
    # Who viewed me: the bank, for the report purpose.
    viewers = querylog.viewers_of(session, city.company_id)
    assert viewers.total == 1
    (seen,) = viewers.items
    assert (seen.organisation, seen.purpose, seen.action) == ("台州银行", "credit_report", "report.issue")
    assert seen.items == ["administrative_licence", "administrative_penalty"]
    # The register and the ledger hold the file's hash.
    row = service.get_report(session, issued.number)
    assert row.sha256 == issued.sha256 and row.channel_zh == "第三方（经授权）"
    entry = session.scalar(
        select(ledger.LedgerEntry).where(ledger.LedgerEntry.ref == f"report:{issued.number}")
    )
    assert entry is not None and entry.kind == "report.issued"
    assert service.list_for_subject(session, city.company_id)[0].uses == 1
    # The bank may fetch its report again; another party may not.
    assert service.report_pdf(session, BANK, issued.number)[1] == issued.pdf
    with pytest.raises(Forbidden):
        service.report_pdf(session, Principal(role="bank", kind="user", username="other"), issued.number)


@pytest.fixture
def one_free_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """A city whose ruleset gives one free self-service report a year (the number is data)."""
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rulesets" / "default", rules)
    path = rules / "reports" / "reports.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["issuing"][0]["free_per_year"] = 1
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("XINYONG_RULESET_DIR", str(rules))
    reset_settings()
    return reset_settings


def test_free_reports_a_year_then_the_window(session: Session, city: City, one_free_report: object) -> None:
    owner = _subject(city)
    assert service.free_reports_left(session, city.company_id, city.today) == 1
    first = service.issue_report(session, owner, city.company_id, kind="special", field="税务")
    assert first.channel == "self" and first.found == 0
    with pytest.raises(Forbidden) as used:
        service.issue_report(session, owner, city.company_id)
    assert used.value.code == "reports.free_quota_used"
    assert "信用窗口" in used.value.message_zh and "不收取费用" in used.value.message_zh


def test_api_issue_download_and_verification(
    client: TestClient, session: Session, city: City, auth_headers: Callable[..., dict[str, str]]
) -> None:
    staff = auth_headers("credit_office")
    answer = client.post(
        "/api/v1/reports",
        json={"subject": city.company_uscc, "kind": "special", "field": "生态环境"},
        headers=staff,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["channel"] == "window" and body["found"] == 1 and body["subject_name"] == COMPANY
    assert body["issued_at"].endswith("+00:00") or body["issued_at"].endswith("Z")
    pdf = client.get(body["download_url"], headers=staff)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    checked = client.get(
        f"/api/v1/reports/{body['number']}/verification", params={"code": body["check_code"]}
    )
    assert checked.json()["status"] == "valid"
    assert checked.json()["registered_sha256"] == body["sha256"]
    wrong = client.get(f"/api/v1/reports/{body['number']}/verification", params={"code": "AAAAAAAA"})
    assert wrong.json()["status"] == "unknown" and wrong.json()["registered_sha256"] is None
    upload = client.post(
        "/api/v1/reports/verify", content=pdf.content, headers={"Content-Type": "application/pdf"}
    )
    assert upload.json()["status"] == "valid"
    # An agency reports that it relied on the report in a matter of the list.
    use = client.post(
        "/api/v1/reports/uses",
        json={"number": body["number"], "matter": "tendering", "note": "资格审查"},
        headers=auth_headers("regulator"),
    )
    assert use.status_code == 201, use.text
    assert use.json()["matter_zh"] == "招标投标"
    bad = client.post(
        "/api/v1/reports/uses",
        json={"number": body["number"], "matter": "lottery"},
        headers=auth_headers("regulator"),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "reports.unknown_matter"
    register = client.get("/api/v1/reports", headers=staff).json()
    assert register["total"] == 1 and register["items"][0]["number"] == body["number"]
    # Anonymous callers may verify but not issue.
    assert client.post("/api/v1/reports", json={"subject": city.company_uscc}).status_code == 401
    matters = client.get("/api/v1/reports/matters").json()
    assert {"code": "listing_financing", "name_zh": "上市融资、发行债券", "kinds": ["special"]} in matters
    cert = client.get("/api/v1/reports/certificate.pem")
    assert cert.text.startswith("-----BEGIN CERTIFICATE-----")
