"""The demo city's portal accounts, one per role (``xinyong demo build``), made through accounts' service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.core.errors import NotFound
from xinyong.subjects import service as subjects_service

# Demo data, not a production credential: README lists it; every demo account uses it.
DEMO_PASSWORD = "Xinyong-Demo-2026"
DEMO_BANK_DEPARTMENT = ("TZ-BANK", "台州银行股份有限公司")


@dataclass
class DemoAccount:
    role: str
    username: str
    password: str
    display_name: str
    organisation: str


def ensure_demo_accounts(
    session: Session,
    *,
    staff_department: tuple[str, str],
    provider_code: str,
    regulator_provider_code: str,
    subject_code: str,
) -> list[DemoAccount]:
    """One portal account per role for the demo city (idempotent: existing ones are kept).
    ``staff_department``: (code, name) of the credit office's department, created if missing."""
    staff_department_code = staff_department[0]
    known = {d.code for d in accounts_service.list_departments(session)}
    for code, name in (staff_department, DEMO_BANK_DEPARTMENT):
        if code not in known:
            accounts_service.create_department(session, code, name, by="demo")
    bank_code = DEMO_BANK_DEPARTMENT[0]
    regulator_dept = accounts_service.provider_department(session, regulator_provider_code).code
    specs: list[tuple[str, str, str, dict[str, Any]]] = [
        ("admin", "demo_admin", "演示管理员", {}),
        ("credit_office", "demo_xyb", "市信用办 演示用户", {"department_code": staff_department_code}),
        ("provider", "demo_provider", "报送员 演示用户", {"provider_code": provider_code}),
        ("regulator", "demo_regulator", "执法人员 演示用户", {"department_code": regulator_dept}),
        ("bank", "demo_bank", "信贷经理 演示用户", {"department_code": bank_code}),
        ("subject", "demo_subject", "企业经办人 演示用户", {"subject_code": subject_code}),
    ]
    out = []
    for role, username, display, extra in specs:
        try:
            info = accounts_service.get_user(session, username)
        except NotFound:
            info = accounts_service.create_user(
                session,
                username=username,
                display_name=display,
                role=role,
                password=DEMO_PASSWORD,
                by="demo",
                **extra,
            )
        organisation = info.department_name or ""
        if info.subject_id is not None:
            organisation = subjects_service.get_subject(session, info.subject_id).name
        out.append(DemoAccount(role, username, DEMO_PASSWORD, info.display_name, organisation))
    session.flush()
    return out
