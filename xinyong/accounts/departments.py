"""Accounts: departments, the organisations that own users and keys, providers' included."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department
from xinyong.accounts.views import DepartmentInfo, _invalid
from xinyong.core.errors import Conflict, NotFound
from xinyong.ledger import service as ledger

_DEPT_CODE = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")


# ---------------------------------------------------------------------------------------------
# Departments


def _dept_info(d: Department) -> DepartmentInfo:
    return DepartmentInfo(
        id=d.id,
        code=d.code,
        name=d.name,
        provider_code=d.provider_code,
        active=bool(d.active),
        created_at=d.created_at,
    )


def _department(session: Session, code: str) -> Department:
    d = session.scalar(select(Department).where(Department.code == code))
    if d is None:
        raise NotFound(
            f"Unknown department {code!r}",
            f"部门“{code}”不存在",
            code="accounts.unknown_department",
            value=code,
        )
    return d


def create_department(
    session: Session, code: str, name: str, *, provider_code: str | None = None, by: str = ""
) -> DepartmentInfo:
    """Register an organisation that owns users and keys. A provider's department is registered
    with the provider (``register_provider_department``, called by ingest), so ``provider_code``
    here names a provider that already has its department: a conflict, or an unknown provider."""
    code, name = (code or "").strip(), (name or "").strip()
    if not _DEPT_CODE.match(code):
        raise _invalid(
            "code", "Department code: 2-32 letters, digits, _ . -", "部门编码应为 2-32 位字母、数字或 _ . -"
        )
    if not name:
        raise _invalid("name", "A department needs a name", "部门名称不能为空")
    if session.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise Conflict(
            f"Department {code!r} exists",
            f"部门“{code}”已存在",
            code="accounts.department_exists",
            value=code,
        )
    if provider_code:
        provider_department(session, provider_code)  # NotFound ingest.unknown_provider
        raise Conflict(
            f"Provider {provider_code!r} already has a department",
            f"信息提供单位“{provider_code}”已关联部门",
            code="accounts.department_exists",
            value=provider_code,
        )
    return _add_department(session, code, name, None, by)


def _add_department(
    session: Session, code: str, name: str, provider_code: str | None, by: str
) -> DepartmentInfo:
    d = Department(code=code, name=name, provider_code=provider_code)
    session.add(d)
    session.flush()
    ledger.append(
        session,
        "account.department",
        f"department:{d.code}",
        {"action": "create", "code": d.code, "name": d.name, "provider_code": d.provider_code, "by": by},
    )
    return _dept_info(d)


def _unknown_provider(provider_code: str) -> NotFound:
    # The code of ingest's own error for an unknown provider: the API answers as it always did.
    return NotFound(
        f"Unknown provider {provider_code!r}",
        f"信息提供单位“{provider_code}”不存在",
        code="ingest.unknown_provider",
        value=provider_code,
    )


def provider_department(session: Session, provider_code: str) -> DepartmentInfo:
    """The department of a provider (every provider has one, registered with it)."""
    d = session.scalar(select(Department).where(Department.provider_code == provider_code))
    if d is None:
        raise _unknown_provider(provider_code)
    return _dept_info(d)


def register_provider_department(
    session: Session, provider_code: str, name: str, *, by: str = ""
) -> DepartmentInfo:
    """The department a provider submits as, created with the provider (idempotent). Its code is
    the provider's code, or ``p.<code>`` when that is taken or not a department code."""
    d = session.scalar(select(Department).where(Department.provider_code == provider_code))
    if d is not None:
        return _dept_info(d)
    taken = set(session.scalars(select(Department.code)))
    code = next(
        (c for c in (provider_code, f"p.{provider_code}"[:32]) if _DEPT_CODE.match(c) and c not in taken),
        None,
    )
    if code is None:  # a provider code that is no department code (e.g. one character)
        n = 1
        while f"p.{n}" in taken:
            n += 1
        code = f"p.{n}"
    return _add_department(session, code, name.strip() or provider_code, provider_code, by)


def set_department_active(session: Session, code: str, active: bool, *, by: str = "") -> DepartmentInfo:
    """A deactivated department's keys and accounts stop working at once (and work again)."""
    d = _department(session, code)
    if bool(d.active) != active:
        d.active = active
        session.flush()
        ledger.append(
            session,
            "account.department",
            f"department:{d.code}",
            {"action": "activate" if active else "deactivate", "by": by},
        )
    return _dept_info(d)


def list_departments(session: Session) -> list[DepartmentInfo]:
    return [_dept_info(d) for d in session.scalars(select(Department).order_by(Department.code))]
