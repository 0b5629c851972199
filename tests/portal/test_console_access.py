"""Who may open the console and the self-service pages, with real data behind every page: the
public is sent to the login page, a subject account is refused the console, staff may open
every console page, a provider its department's parts; every form needs the session's CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.portal.console_seed import (
    ADMIN,
    COMPANY_USER,
    ECOLOGY_OFFICER,
    MARKET_OFFICER,
    OFFICE,
    REGULATOR,
    ConsoleCity,
    signed_in,
    upload_csv,
)
from xinyong.accounts.policy import POLICY
from xinyong.content import service as content_service
from xinyong.ingest import service as ingest_service


def _upload(session: Session, cc: ConsoleCity) -> tuple[str, int]:
    """A provider file with bad rows, through the ingest service: (submission id, a quarantined row)."""
    import io

    result = ingest_service.submit_file(
        session, "TZ-SCJG", "administrative_penalty", io.BytesIO(upload_csv(cc)), "bad.csv"
    )
    q = ingest_service.list_quarantine(session, submission_id=result.id)
    # the content editor's page needs an article: the store's first one (id 1, see _pages)
    content_service.create_post(session, section="notices", title="通知", body_md="", author="t")
    session.commit()
    return result.id, q.items[0].id


# Console pages for the credit office and administrators only.
STAFF_ONLY = (
    "/console/governance",
    "/console/evaluation",
    "/console/monitoring",
    "/console/monitoring/{code}.png",
    "/console/monitoring/{code}.xlsx",
    "/console/government",
)


def _rights_cases(session: Session, cc: ConsoleCity) -> tuple[int, int]:
    """An objection and a repair application about the company's penalty by the market
    regulator, filed at the credit office's window: (objection id, repair id)."""
    from datetime import date

    from tests.records import helpers as rh
    from xinyong.casework.service import Actor
    from xinyong.objections import service as objections_service
    from xinyong.repairs import service as repairs_service

    provider = ingest_service.get_provider(session, "TZ-SCJG").id
    row = rh.penalty_row(
        "台市监罚〔2025〕900号",
        decision=date(2025, 3, 3),
        name="台州鑫达机械有限公司",
        code=cc.city.company_uscc,
    )
    record = rh.store(session, cc.city.company_id, provider, row).record_id
    window = Actor(f"user:{OFFICE}", "credit_office")
    objection = objections_service.file_objection(
        session, record_id=record, ground="wrong_content", statement="处罚内容有误", actor=window
    )
    repair = repairs_service.apply_for(
        session,
        actor=window,
        record_id=record,
        statement="已缴清罚款并整改",
        commitment=True,
        materials=["performance", "rectification"],
    )
    session.commit()
    return objection.id, repair.id


def _pages(
    cc: ConsoleCity, submission_id: str, quarantine_id: int, cases: tuple[int, int] = (0, 0)
) -> dict[str, str]:
    """Every GET page of the console and of /me, with real ids."""
    fill = {
        "{submission_id}": submission_id,
        "{quarantine_id}": str(quarantine_id),
        "{procedure_id}": str(cc.procedure_id),
        "{code}": "records_trend",  # a monitoring indicator
        "{objection_id}": str(cases[0]),
        "{repair_id}": str(cases[1]),
        "{post_id}": "1",
    }
    out = {}
    for method, template in POLICY:
        if method != "GET" or not (
            template.startswith("/console") or template == "/me" or template.startswith("/me/")
        ):
            continue
        url = template
        for k, v in fill.items():
            url = url.replace(k, v)
        out[template] = url
    return out


def _status(client: TestClient, url: str) -> int:
    return client.get(url, follow_redirects=False).status_code


def test_every_console_and_self_service_page_by_role(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    submission_id, qid = _upload(session, console_city)
    pages = _pages(console_city, submission_id, qid, _rights_cases(session, console_city))
    assert "/console" in pages and "/console/upload" in pages and "/me" in pages
    # Nobody signed in: the login page, with the way back.
    client.cookies.clear()
    for url in pages.values():
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), url
    # A subject account: its own pages, never the console.
    signed_in(client, COMPANY_USER)
    for template, url in pages.items():
        r = client.get(url, follow_redirects=False)
        if template.startswith("/me"):
            assert r.status_code == 200, (url, r.text[:300])
        else:
            assert r.status_code == 403 and "无权访问" in r.text, url
    # Staff: every console page; not the subject's pages.
    provider_only = {"/console/upload", "/console/approvals"}  # a department's own business
    for user in (OFFICE, ADMIN):
        signed_in(client, user)
        for template, url in pages.items():
            status = _status(client, url)
            if template.startswith("/me") or template in provider_only:
                assert status == 403, (user, url)
            else:
                assert status == 200, (user, url, client.get(url).text[:500])
    # The provider that sent the file: its own parts (not governance, evaluation, monitoring …).
    signed_in(client, MARKET_OFFICER)
    for template, url in pages.items():
        status = _status(client, url)
        if template.startswith("/me") or template in STAFF_ONLY or template.startswith("/console/content"):
            assert status == 403, url
        else:
            assert status == 200, (url, client.get(url).text[:500])
    # A regulator has no console.
    signed_in(client, REGULATOR)
    assert _status(client, "/console") == 403


def test_a_provider_sees_only_its_own_department(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    submission_id, qid = _upload(session, console_city)
    signed_in(client, ECOLOGY_OFFICER)
    for url in (f"/console/submissions/{submission_id}", f"/console/quarantine/{qid}"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "不存在" in r.text or "没有该条记录" in r.text
    html = client.get("/console/quarantine").text
    assert "没有符合条件的隔离数据" in html
    assert "本单位：台州市生态环境局" in client.get("/console").text
    # The market regulator's officer sees its rows.
    signed_in(client, MARKET_OFFICER)
    assert f'href="/console/quarantine/{qid}"' in client.get("/console/quarantine").text


@pytest.mark.parametrize(
    ("user", "url", "data"),
    [
        (
            OFFICE,
            "/console/rules/calendar",
            {"day": "2026-09-15", "kind": "holiday", "name": "台风停工", "source": "x"},
        ),
        (MARKET_OFFICER, "/console/quarantine/{qid}/discard", {"note": "重复报送"}),
        (MARKET_OFFICER, "/console/quarantine/{qid}/resubmit", {}),
        (OFFICE, "/console/lists/{pid}/step", {"action": "notice"}),
        (OFFICE, "/console/governance/1/resolve", {"resolution": "confirm"}),
        (COMPANY_USER, "/me/lists/{pid}/statement", {"text": "我方已整改"}),
    ],
)
def test_every_form_needs_the_csrf_token(
    client: TestClient, session: Session, console_city: ConsoleCity, user: str, url: str, data: dict[str, str]
) -> None:
    _, qid = _upload(session, console_city)
    url = url.replace("{qid}", str(qid)).replace("{pid}", str(console_city.procedure_id))
    signed_in(client, user)
    r = client.post(url, data=data, follow_redirects=False)
    assert r.status_code == 403 and "页面已过期" in r.text, (url, r.status_code)
    r = client.post(url, data={**data, "csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403, url
    token = form_token(client.get("/account").text)
    r = client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)
    assert r.status_code != 403, (url, r.status_code, r.text[:300])


def test_the_upload_form_needs_the_csrf_token(client: TestClient, console_city: ConsoleCity) -> None:
    signed_in(client, MARKET_OFFICER)
    files = {"file": ("bad.csv", upload_csv(console_city), "text/csv")}
    r = client.post(
        "/console/upload", data={"item": "administrative_penalty"}, files=files, follow_redirects=False
    )
    assert r.status_code == 403
    token = form_token(client.get("/console/upload").text)
    r = client.post(
        "/console/upload",
        data={"item": "administrative_penalty", "csrf_token": token},
        files=files,
        follow_redirects=False,
    )
    assert r.status_code == 303 and re.match(r"^/console/upload\?submission=", r.headers["location"])


def test_signed_in_pages_are_offline_private_and_without_inline_script(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    from tests.portal.test_assets import external_hosts
    from xinyong.portal.templating import CSP

    submission_id, qid = _upload(session, console_city)
    pages = _pages(console_city, submission_id, qid, _rights_cases(session, console_city))
    for user, prefix in ((OFFICE, "/console"), (MARKET_OFFICER, "/console/upload"), (COMPANY_USER, "/me")):
        signed_in(client, user)
        for template, url in pages.items():
            if not template.startswith(prefix) or (
                user == OFFICE and template in ("/console/upload", "/console/approvals")
            ):
                continue
            r = client.get(url)
            assert r.status_code == 200, url
            assert r.headers["content-security-policy"] == CSP
            assert r.headers["cache-control"] == "no-store", url  # a signed-in user's page
            html = r.text
            assert external_hosts(html) == set(), url
            assert not re.search(r"<script\b[^>]*>(?!</script>)", html), url
            assert not re.search(r"\son[a-z]+\s*=", html) and not re.search(r"\sstyle\s*=", html), url
            for path in re.findall(r'(?:src|href)="(/static/[^"?]+)', html):
                assert client.get(path).status_code == 200, path
