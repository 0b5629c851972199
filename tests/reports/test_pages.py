"""The report pages as people use them: a subject downloads its own report and authorises a bank
(/me/reports); window staff issue a special report and see the register (/console/reports)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import PASSWORD, csrf_of, login
from tests.portal.seed import COMPANY, City
from xinyong.accounts import service as accounts_service


def _user(session: Session, username: str, role: str, **extra: object) -> None:
    accounts_service.create_user(
        session,
        username=username,
        display_name=username,
        role=role,
        password=PASSWORD,
        **extra,  # type: ignore[arg-type]
    )
    session.commit()


def test_subject_downloads_its_report_and_authorises_a_bank(
    client: TestClient, session: Session, city: City
) -> None:
    _user(session, "xinda", "subject", subject_id=city.company_id)
    assert login(client, "xinda").status_code == 303  # type: ignore[attr-defined]
    page = client.get("/me/reports")
    assert page.status_code == 200
    assert "本年度还可下载 2 份" in page.text and "信用报告" in page.text
    token = csrf_of(client)
    issued = client.post("/me/reports", data={"csrf_token": token, "kind": "public"}, follow_redirects=True)
    assert issued.status_code == 200
    number = re.search(r"已出具报告 (XY\d{16})", issued.text)
    assert number, issued.text[:500]
    assert "本年度还可下载 1 份" in issued.text
    pdf = client.get(f"/api/v1/reports/{number.group(1)}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    granted = client.post(
        "/me/reports/authorisations",
        data={
            "csrf_token": token,
            "grantee_department": "tz_bank",
            "kinds": ["public", "special"],
            "purpose_zh": "流动资金贷款审批",
            "expires_on": (city.today + timedelta(days=20)).isoformat(),
        },
        follow_redirects=True,
    )
    assert granted.status_code == 200
    assert "tz_bank" in granted.text and "流动资金贷款审批" in granted.text and "有效" in granted.text
    # A grant without a purpose is refused in Chinese, on the page.
    refused = client.post(
        "/me/reports/authorisations",
        data={
            "csrf_token": token,
            "grantee_department": "x",
            "kinds": ["public"],
            "purpose_zh": " ",
            "expires_on": city.today.isoformat(),
        },
    )
    assert refused.status_code == 422 and "授权用途" in refused.text


def test_window_issues_a_special_report_and_sees_the_register(
    client: TestClient, session: Session, city: City
) -> None:
    accounts_service.create_department(session, "tz_xyb", "台州市信用办")
    _user(session, "clerk", "credit_office", department_code="tz_xyb")
    login(client, "clerk")
    page = client.get("/console/reports")
    assert page.status_code == 200 and "窗口出具" in page.text and "尚未出具信用报告" in page.text
    done = client.post(
        "/console/reports",
        data={
            "csrf_token": csrf_of(client),
            "subject": city.company_uscc,
            "kind": "special",
            "field": "生态环境",
        },
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "已出具 专项信用报告（生态环境）" in done.text and COMPANY in done.text and "窗口出具" in done.text
    unknown = client.post(
        "/console/reports",
        data={"csrf_token": csrf_of(client), "subject": "91330000000000000X", "kind": "public"},
    )
    assert unknown.status_code == 404 and 'role="alert"' in unknown.text
