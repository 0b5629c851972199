"""Subject accounts: self-registration proven by the SubjectBinder (USCC + legal representative's
name + ID number matching the subject record), or created by credit office staff."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import (
    COMPANY_USCC,
    PASSWORD,
    REP_ID,
    REP_NAME,
    Accounts,
    csrf_of,
    form_token,
    login,
)
from tests.subjects.util import ric, uscc
from xinyong.accounts import service
from xinyong.accounts.binding import BindingClaim, BindingFailed, RegistryBinder, set_binder
from xinyong.core.errors import Conflict, Forbidden
from xinyong.subjects import service as subjects_service


def _register(client: TestClient, **fields: str) -> object:
    page = client.get("/register")
    data = {
        "code": COMPANY_USCC,
        "rep_name": REP_NAME,
        "rep_id_number": REP_ID,
        "username": "anxin_jx",
        "display_name": "安信机械 财务部",
        "password": "Anxin-jixie-2026",
        "confirm": "Anxin-jixie-2026",
        "csrf_token": form_token(page.text),
    }
    data.update(fields)
    return client.post("/register", data=data, follow_redirects=False)


def test_self_registration_binds_the_subject(
    client: TestClient, accounts: Accounts, session: Session
) -> None:
    r = _register(client)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    me = client.get("/api/v1/me").json()
    assert (me["role"], me["subject_id"], me["username"]) == ("subject", accounts.company_id, "anxin_jx")
    page = client.get("/account").text
    assert "台州市椒江区安信机械有限公司" in page and REP_ID not in page
    user = service.get_user(session, "anxin_jx")
    assert user.bound_by == "self:registry" and user.department_code is None


@pytest.mark.parametrize(
    "field,value",
    [
        ("rep_name", "王建军"),  # another name
        ("rep_id_number", ric(43)),  # another person's (valid) ID number
        ("code", uscc(4202)),  # no such subject
    ],
)
def test_self_registration_refuses_mismatches(
    client: TestClient, accounts: Accounts, session: Session, field: str, value: str
) -> None:
    if field == "rep_id_number":
        subjects_service.create_subject(session, kind="natural_person", name=REP_NAME, id_number=value)
        session.commit()
    r = _register(client, **{field: value})
    assert r.status_code == 403 and "所填信息与登记信息不一致" in r.text
    assert value not in r.text or field != "rep_id_number"  # the ID number is never echoed
    assert client.get("/api/v1/me").status_code == 401
    with pytest.raises(Exception):  # noqa: B017 - no account was created
        service.get_user(session, "anxin_jx")


def test_natural_person_binds_with_own_id_number(session: Session, accounts: Accounts) -> None:
    claim = BindingClaim(
        code=REP_ID, legal_representative_name=REP_NAME, legal_representative_id_number=REP_ID
    )
    user = service.register_subject_account(
        session, claim=claim, username="wang_jg", display_name=REP_NAME, password="Wang-jianguo-88"
    )
    assert user.subject_id == accounts.person_id
    with pytest.raises(BindingFailed):
        RegistryBinder().bind(
            session,
            BindingClaim(
                code=REP_ID, legal_representative_name="王建", legal_representative_id_number=REP_ID
            ),
        )


def test_registration_checks_form_before_binding(client: TestClient, accounts: Accounts) -> None:
    weak = _register(client, password="weak", confirm="weak")
    assert weak.status_code == 422 and "密码不符合要求" in weak.text
    taken = _register(client, username="t_admin")
    assert taken.status_code == 409 and "已被使用" in taken.text
    differ = _register(client, confirm="Something-else-1")
    assert differ.status_code == 422 and "两次输入的密码不一致" in differ.text


def test_binder_is_pluggable(session: Session, accounts: Accounts) -> None:
    class LicenceBinder:
        """Stands for an e-business-licence check: trusts a token naming the subject."""

        name = "e_licence"

        def bind(self, session: Session, claim: BindingClaim) -> int:
            if claim.evidence.get("licence_token") != "signed-by-samr":
                raise BindingFailed("bad licence", "电子营业执照核验未通过")
            return subjects_service.get_by_code(session, claim.code).id

    set_binder(LicenceBinder())
    try:
        claim = BindingClaim(COMPANY_USCC, "", "", evidence={"licence_token": "signed-by-samr"})
        user = service.register_subject_account(
            session, claim=claim, username="anxin_e", display_name="安信", password="Anxin-jixie-2026"
        )
        assert user.subject_id == accounts.company_id and user.bound_by == "self:e_licence"
    finally:
        set_binder(None)


def test_credit_office_creates_subject_accounts_only(
    client: TestClient, accounts: Accounts, session: Session
) -> None:
    login(client, "t_credit_office")
    h = {"X-CSRF-Token": csrf_of(client)}
    r = client.post(
        "/api/v1/accounts/users",
        headers=h,
        json={
            "username": "anxin_staff",
            "display_name": "安信机械 办事员",
            "role": "subject",
            "password": PASSWORD,
            "subject_code": COMPANY_USCC,
        },
    )
    assert r.status_code == 201, r.text
    assert (
        r.json()["subject_id"] == accounts.company_id and r.json()["bound_by"] == "staff:user:t_credit_office"
    )
    r = client.post(
        "/api/v1/accounts/users",
        headers=h,
        json={"username": "sneaky", "display_name": "x", "role": "admin", "password": PASSWORD},
    )
    assert r.status_code == 403
    with pytest.raises(Conflict):
        service.create_user(
            session, username="anxin_staff", display_name="x", role="subject", password=PASSWORD, subject_id=1
        )
    with pytest.raises(Forbidden):
        RegistryBinder().bind(session, BindingClaim(COMPANY_USCC, REP_NAME, ric(99)))
