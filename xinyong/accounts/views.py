"""Accounts: the views the service returns (departments, users, API keys, login outcomes,
password policies), and the small helpers its modules share."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from xinyong.accounts.principal import ACCOUNT_ROLES
from xinyong.core.db import utcnow
from xinyong.core.errors import InvalidInput

# ---------------------------------------------------------------------------------------------
# Views


@dataclass
class ProviderInfo:
    """A provider (信息提供单位): a department that submits records, and the catalog items it may
    submit."""

    id: int
    code: str
    name: str
    uscc: str | None
    active: bool
    items: list[str]
    created_at: datetime


@dataclass
class DepartmentInfo:
    id: int
    code: str
    name: str
    provider_code: str | None
    active: bool
    created_at: datetime


@dataclass
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    role_zh: str
    department_code: str | None
    department_name: str | None
    provider_code: str | None
    subject_id: int | None
    bound_by: str | None
    active: bool
    locked_until: datetime | None
    failed_logins: int
    last_login_at: datetime | None
    created_at: datetime


@dataclass
class ApiKeyInfo:
    id: int
    prefix: str
    name: str
    role: str
    department_code: str | None
    provider_code: str | None
    username: str | None
    subject_id: int | None
    scopes: list[str]
    items: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    rotated_from_id: int | None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and _aware(self.expires_at) <= utcnow():
            return "expired"
        return "active"


@dataclass
class LoginOutcome:
    """The result of a login attempt. A failure is a value, not an exception, so the failed-login
    counter it wrote is committed. ``code``: ok | login_failed | locked."""

    ok: bool
    code: str
    message_zh: str
    token: str | None = None
    user: UserInfo | None = None
    csrf_token: str | None = None
    retry_after_minutes: int | None = None


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    min_classes: int
    forbid_username: bool
    effective_from: date
    source: str


# ---------------------------------------------------------------------------------------------
# Small helpers


def _aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns: they are UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _clean_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username or "").strip().lower()


def _invalid(field: str, message: str, message_zh: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, message_zh, code=f"accounts.invalid_{field}", field=field, **details)


def _check_role(role: str) -> str:
    if role not in ACCOUNT_ROLES:
        raise _invalid(
            "role", f"Unknown role {role!r}", "角色不正确", value=role, allowed=list(ACCOUNT_ROLES)
        )
    return role
