"""Helpers of the accounts tests: accounts of every role, logging in through the real form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.fixtures import key_headers
from tests.subjects.util import ric, uscc
from xinyong.accounts import service
from xinyong.ingest import service as ingest_service
from xinyong.subjects import service as subjects_service

PASSWORD = "Xinyong-test-2026"
LICENCE = "administrative_licence"
PENALTY = "administrative_penalty"
COMPANY_USCC = uscc(4201)
REP_ID = ric(42)
REP_NAME = "王建国"


@dataclass
class Accounts:
    usernames: dict[str, str] = field(default_factory=dict)  # role -> username
    provider_code: str = "tz_scjgj"
    company_id: int = 0
    person_id: int = 0
    provider_key: str = ""  # the key ingest issued when the provider was registered


def seed_subjects(session: Session) -> tuple[int, int]:
    """An enterprise whose legal representative (a natural person with an ID number) is known."""
    company = subjects_service.create_subject(
        session,
        kind="enterprise",
        name="台州市椒江区安信机械有限公司",
        uscc=COMPANY_USCC,
        legal_representative=REP_NAME,
    )
    person = subjects_service.create_subject(session, kind="natural_person", name=REP_NAME, id_number=REP_ID)
    subjects_service.add_relation(session, company, person, "legal_representative", source="市市场监督管理局")
    return company, person


def make_accounts(session: Session) -> Accounts:
    acc = Accounts()
    acc.company_id, acc.person_id = seed_subjects(session)
    _, acc.provider_key = ingest_service.create_provider(
        session, acc.provider_code, "台州市市场监督管理局", None, [LICENCE, PENALTY]
    )
    service.create_department(session, "tz_fgw", "台州市发展和改革委员会")
    service.create_department(session, "tz_xyb", "台州市信用办")
    service.create_department(session, "tz_bank", "台州银行")
    specs = {
        "subject": {"subject_id": acc.company_id},
        "provider": {"provider_code": acc.provider_code},
        "regulator": {"department_code": "tz_fgw"},
        "credit_office": {"department_code": "tz_xyb"},
        "bank": {"department_code": "tz_bank"},
        "admin": {},
    }
    for role, extra in specs.items():
        name = f"t_{role}"
        service.create_user(
            session,
            username=name,
            display_name=f"测试{role}",
            role=role,
            password=PASSWORD,
            **extra,  # type: ignore[arg-type]
        )
        acc.usernames[role] = name
    session.commit()
    return acc


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    m = _TOKEN.search(html)
    assert m, "no csrf_token in the form"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "") -> object:
    """Log in through the real form (GET for the form token, then POST); returns the response."""
    page = client.get("/login")
    assert page.status_code == 200
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": form_token(page.text),
            "next": next_url,
        },
        follow_redirects=False,
    )


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as a signed-in page shows it."""
    return form_token(client.get("/account").text)


def api_key_headers(
    session: Session, role: str, *, subject_code: str | None = None, provider_code: str | None = None
) -> dict[str, str]:
    """Headers of a new API key of ``role`` holding every scope of that role (department, and
    for a provider key an ingest provider, created as needed)."""
    dept = None
    if role in ("regulator", "credit_office", "bank"):
        dept = f"test_{role}"
        if dept not in {d.code for d in service.list_departments(session)}:
            service.create_department(session, dept, f"测试部门 {role}")
    if role == "provider" and provider_code is None:
        provider_code = "test_provider"
        if provider_code not in {p.code for p in ingest_service.list_providers(session)}:
            ingest_service.create_provider(
                session, provider_code, "测试信息提供单位", None, [LICENCE, PENALTY]
            )
    headers = role_key(
        session,
        role,
        department_code=dept,
        provider_code=provider_code if role == "provider" else None,
        subject_code=subject_code,
    )
    session.commit()
    return headers


def role_key(session: Session, role: str, **owner: str | None) -> dict[str, str]:
    """Headers of a new API key of ``role`` holding every scope of that role (``owner``: its
    username, department_code, provider_code or subject_code)."""
    from xinyong.accounts.policy import scopes_for_role

    return key_headers(session, f"test {role}", role, sorted(scopes_for_role(role)), **owner)
