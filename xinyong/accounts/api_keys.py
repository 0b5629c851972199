"""Accounts service: departments, users, passwords, portal sessions, API keys, subject binding,
and the resolution of a request's credentials into a :class:`Principal`.

CONTRACT for other domains: ``Principal`` (and ``ROLES``), ``resolve_principal``,
``create_user``, ``create_api_key``, ``provider_department``; for ingest, which registers
providers: ``register_provider_department`` and ``issue_provider_key`` (a provider is a department
with keys; its keys are API keys like any other). Secrets are never stored: passwords
as argon2id, session tokens and API keys as SHA-256. Every account decision (user created,
locked, unlocked, password reset, key created, revoked, rotated, subject bound) is appended to the
ledger in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from xinyong.accounts.binding import get_binder
from xinyong.accounts.models import ApiKey, Department, User, UserSession
from xinyong.accounts.policy import ROLE_DEFAULT_SCOPES, SCOPES, scopes_for_role
from xinyong.accounts.principal import ACCOUNT_ROLES, ANONYMOUS, ROLE_NAMES_ZH, ROLES, Principal
from xinyong.catalog.service import get_catalog
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthorized
from xinyong.core.settings import get_settings
from xinyong.ledger import service as ledger
from xinyong.subjects import service as subjects_service

__all__ = [
    "ACCOUNT_ROLES",
    "ANONYMOUS",
    "PROVIDER_KEY_NAME",
    "ROLES",
    "ROLE_NAMES_ZH",
    "ApiKeyInfo",
    "DepartmentInfo",
    "LoginOutcome",
    "PasswordPolicy",
    "Principal",
    "UserInfo",
    "change_password",
    "check_password",
    "create_api_key",
    "create_department",
    "create_session",
    "create_user",
    "end_session",
    "get_api_key",
    "get_user",
    "issue_provider_key",
    "list_api_keys",
    "list_departments",
    "list_users",
    "lock_user",
    "login",
    "password_policy",
    "provider_department",
    "register_provider_department",
    "resolve_api_key",
    "resolve_principal",
    "resolve_session",
    "revoke_api_key",
    "rotate_api_key",
    "set_department_active",
    "set_password",
    "unlock_user",
]

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{2,63}$")
_DEPT_CODE = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
_KEY_PREFIX_BYTES = 6  # 12 hex characters


# ---------------------------------------------------------------------------------------------
# Views


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


# ---------------------------------------------------------------------------------------------
# Password policy and hashing


def _policy_path() -> Path:
    return Path(get_settings().ruleset_dir) / "accounts.yaml"


@lru_cache(maxsize=8)
def _load_policies(path: str, mtime: float) -> tuple[PasswordPolicy, ...]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    out = []
    for entry in raw.get("password_policy") or []:
        missing = {"effective_from", "source", "min_length", "min_classes"} - set(entry)
        if missing:
            raise DomainError(
                f"accounts.yaml: password_policy entry lacks {sorted(missing)}",
                f"规则集文件 accounts.yaml 的密码策略条目缺少 {sorted(missing)}",
                code="accounts.ruleset_invalid",
            )
        out.append(
            PasswordPolicy(
                min_length=int(entry["min_length"]),
                min_classes=int(entry["min_classes"]),
                forbid_username=bool(entry.get("forbid_username", True)),
                effective_from=entry["effective_from"],
                source=str(entry["source"]),
            )
        )
    return tuple(sorted(out, key=lambda p: p.effective_from))


def password_policy(today: date | None = None) -> PasswordPolicy:
    """The password policy in force ``today`` (rulesets/<name>/accounts.yaml)."""
    path = _policy_path()
    if not path.is_file():
        raise DomainError(
            f"Ruleset file missing: {path}", f"规则集文件缺失：{path}", code="accounts.ruleset_invalid"
        )
    day = today or date.today()
    policies = [p for p in _load_policies(str(path), path.stat().st_mtime) if p.effective_from <= day]
    if not policies:
        raise DomainError(
            "No password policy is in force", "没有生效的密码策略", code="accounts.ruleset_invalid"
        )
    return policies[-1]


def _classes(password: str) -> int:
    lower = any(c.islower() and c.isascii() for c in password)
    upper = any(c.isupper() and c.isascii() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.isascii() and c.isalnum()) for c in password)
    return lower + upper + digit + other


def check_password(password: str, username: str = "") -> list[str]:
    """The policy rules ``password`` breaks (empty when it is acceptable)."""
    policy = password_policy()
    broken = []
    if len(password) < policy.min_length:
        broken.append("min_length")
    if _classes(password) < policy.min_classes:
        broken.append("min_classes")
    name = _clean_username(username)
    if policy.forbid_username and name and name in password.lower():
        broken.append("contains_username")
    return broken


def _require_good_password(password: str, username: str) -> None:
    broken = check_password(password, username)
    if broken:
        p = password_policy()
        raise InvalidInput(
            "The password does not meet the password policy",
            f"密码不符合要求：至少 {p.min_length} 位，包含大写字母、小写字母、数字、其他字符中的至少 "
            f"{p.min_classes} 类，且不得包含用户名",
            code="accounts.weak_password",
            field="password",
            rules=broken,
        )


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


def hasher() -> PasswordHasher:
    s = get_settings()
    return _hasher(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash(secrets.token_hex(16))


def _burn_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown username costs as much time as a known one."""
    s = get_settings()
    _verify(_dummy_hash(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism), password)


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


# ---------------------------------------------------------------------------------------------
# Users


def _user_info(session: Session, u: User) -> UserInfo:
    d = session.get(Department, u.department_id) if u.department_id else None
    return UserInfo(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        role_zh=ROLE_NAMES_ZH.get(u.role, u.role),
        department_code=d.code if d else None,
        department_name=d.name if d else None,
        provider_code=d.provider_code if d else None,
        subject_id=u.subject_id,
        bound_by=u.bound_by,
        active=bool(u.active),
        locked_until=u.locked_until,
        failed_logins=u.failed_logins or 0,
        last_login_at=u.last_login_at,
        created_at=u.created_at,
    )


def _user(session: Session, username: str) -> User:
    u = session.scalar(select(User).where(User.username == _clean_username(username)))
    if u is None:
        raise NotFound(
            f"Unknown user {username!r}",
            f"用户“{username}”不存在",
            code="accounts.unknown_user",
            value=username,
        )
    return u


def _resolve_subject(session: Session, subject_code: str | None, subject_id: int | None) -> int:
    if subject_id is not None:
        return subjects_service.get_subject(session, subject_id).id
    if subject_code:
        return subjects_service.get_by_code(session, subject_code).id
    raise _invalid("subject", "A subject account needs its subject", "信用主体账户必须绑定信用主体")


def _owner_department(
    session: Session, role: str, department_code: str | None, provider_code: str | None
) -> Department | None:
    if provider_code:
        info = provider_department(session, provider_code)
        d = session.get(Department, info.id)
        if department_code and d is not None and department_code != d.code:
            raise _invalid(
                "department",
                "The department does not match the provider",
                "所填部门与信息提供单位不一致",
                value=department_code,
            )
        return d
    d = _department(session, department_code) if department_code else None
    if role == "provider" and (d is None or not d.provider_code):
        raise _invalid(
            "provider",
            "A provider account belongs to a department linked to an ingest provider",
            "信息提供单位账户必须属于已登记为信息提供单位的部门",
        )
    if role in ("regulator", "credit_office", "bank") and d is None:
        raise _invalid(
            "department", f"A {role} account belongs to a department", "该角色的账户必须属于一个部门"
        )
    if role == "subject" and d is not None:
        raise _invalid("department", "A subject account has no department", "信用主体账户不属于政府部门")
    return d


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    department_code: str | None = None,
    provider_code: str | None = None,
    subject_code: str | None = None,
    subject_id: int | None = None,
    by: str = "",
    bound_by: str | None = None,
) -> UserInfo:
    """Create a portal user. Departments own users (provider, regulator, credit office and bank
    accounts need one; a provider's department is found or created from its provider code);
    subject accounts are bound to their subject (by USCC / ID number, or id)."""
    _check_role(role)
    name = _clean_username(username)
    if not _USERNAME.match(name):
        raise _invalid(
            "username",
            "Username: 3-64 characters, lower-case letters, digits, _ . @ -",
            "用户名应为 3-64 位小写字母、数字或 _ . @ -，以字母或数字开头",
            value=username,
        )
    display = (display_name or "").strip()
    if not display:
        raise _invalid("display_name", "A user needs a display name", "姓名（显示名）不能为空")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(
            f"User {name!r} exists", f"用户名“{name}”已被使用", code="accounts.user_exists", value=name
        )
    _require_good_password(password, name)
    dept = _owner_department(session, role, department_code, provider_code)
    bound_subject = _resolve_subject(session, subject_code, subject_id) if role == "subject" else None
    u = User(
        username=name,
        display_name=display,
        role=role,
        department_id=dept.id if dept else None,
        subject_id=bound_subject,
        bound_by=(bound_by or (f"staff:{by}" if by else "staff")) if bound_subject else None,
        password_hash=hash_password(password),
        failed_logins=0,
        active=True,
    )
    session.add(u)
    session.flush()
    ledger.append(
        session,
        "account.user",
        f"user:{u.id}",
        {
            "action": "create",
            "username": u.username,
            "role": u.role,
            "department": dept.code if dept else None,
            "subject_id": u.subject_id,
            "bound_by": u.bound_by,
            "by": by,
        },
    )
    return _user_info(session, u)


def get_user(session: Session, username: str) -> UserInfo:
    return _user_info(session, _user(session, username))


def get_user_by_id(session: Session, user_id: int) -> UserInfo:
    u = session.get(User, user_id)
    if u is None:
        raise NotFound("Unknown user", "用户不存在", code="accounts.unknown_user", value=user_id)
    return _user_info(session, u)


def list_users(
    session: Session, *, role: str | None = None, department_code: str | None = None
) -> list[UserInfo]:
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == _check_role(role))
    if department_code:
        stmt = stmt.where(User.department_id == _department(session, department_code).id)
    return [_user_info(session, u) for u in session.scalars(stmt)]


def _end_sessions_of(session: Session, user_id: int) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def set_password(session: Session, username: str, password: str, *, by: str = "") -> UserInfo:
    """An administrator sets a new password; the user's sessions end."""
    u = _user(session, username)
    _require_good_password(password, u.username)
    u.password_hash = hash_password(password)
    u.password_changed_at = utcnow()
    u.failed_logins = 0
    u.locked_until = None
    _end_sessions_of(session, u.id)
    session.flush()
    ledger.append(session, "account.user", f"user:{u.id}", {"action": "password_reset", "by": by})
    return _user_info(session, u)


def change_password(
    session: Session, user_id: int, current: str, new: str, *, keep_session_id: int | None = None
) -> None:
    """A user changes their own password; their other sessions end."""
    u = session.get(User, user_id)
    if u is None or not _verify(u.password_hash, current):
        raise InvalidInput(
            "The current password is wrong", "当前密码不正确", code="accounts.wrong_password", field="current"
        )
    _require_good_password(new, u.username)
    if _verify(u.password_hash, new):
        raise InvalidInput(
            "The new password equals the old one",
            "新密码不能与当前密码相同",
            code="accounts.same_password",
            field="new",
        )
    u.password_hash = hash_password(new)
    u.password_changed_at = utcnow()
    stmt = update(UserSession).where(UserSession.user_id == u.id, UserSession.ended_at.is_(None))
    if keep_session_id is not None:
        stmt = stmt.where(UserSession.id != keep_session_id)
    session.execute(stmt.values(ended_at=utcnow()))
    session.flush()


def lock_user(session: Session, username: str, *, by: str = "") -> UserInfo:
    """Disable an account until an administrator unlocks it; its sessions end at once."""
    u = _user(session, username)
    u.active = False
    _end_sessions_of(session, u.id)
    session.flush()
    ledger.append(session, "account.user", f"user:{u.id}", {"action": "lock", "by": by})
    return _user_info(session, u)


def unlock_user(session: Session, username: str, *, by: str = "") -> UserInfo:
    """Re-enable an account and clear a lockout after failed logins."""
    u = _user(session, username)
    u.active = True
    u.failed_logins = 0
    u.locked_until = None
    session.flush()
    ledger.append(session, "account.user", f"user:{u.id}", {"action": "unlock", "by": by})
    return _user_info(session, u)


# ---------------------------------------------------------------------------------------------
# Login and sessions


class _UnknownNames:
    """Failed logins for usernames that do not exist, counted like real ones (in this process),
    so the lockout message cannot tell which usernames exist."""

    def __init__(self, size: int = 10_000) -> None:
        self._d: OrderedDict[str, tuple[int, datetime | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def locked_until(self, name: str, now: datetime) -> datetime | None:
        with self._lock:
            _, until = self._d.get(name, (0, None))
            return until if until is not None and until > now else None

    def fail(self, name: str, now: datetime, max_failures: int, minutes: int) -> datetime | None:
        with self._lock:
            count, until = self._d.pop(name, (0, None))
            if until is not None and until <= now:
                count = 0
            count += 1
            locked = now + timedelta(minutes=minutes) if max_failures and count >= max_failures else None
            self._d[name] = (0 if locked else count, locked)
            while len(self._d) > self._size:
                self._d.popitem(last=False)
            return locked

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


UNKNOWN_NAMES = _UnknownNames()

_FAILED_ZH = "用户名或密码错误"


def _locked_outcome(until: datetime, now: datetime) -> LoginOutcome:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return LoginOutcome(
        ok=False,
        code="locked",
        message_zh=f"登录失败次数过多，账户已临时锁定，请 {minutes} 分钟后再试，或联系管理员解锁。",
        retry_after_minutes=minutes,
    )


def login(
    session: Session,
    username: str,
    password: str,
    *,
    client_ip: str | None = None,
    user_agent: str | None = None,
) -> LoginOutcome:
    """Check a username and password. After ``login_max_failures`` consecutive failures the
    account is locked for ``login_lockout_minutes``. Unknown usernames, wrong passwords and
    disabled accounts all answer the same message (no username enumeration)."""
    s = get_settings()
    now = utcnow()
    name = _clean_username(username)
    u = session.scalar(select(User).where(User.username == name)) if name else None
    if u is None:
        until = UNKNOWN_NAMES.locked_until(name, now)
        if until is not None:
            return _locked_outcome(until, now)
        _burn_time(password)
        locked = UNKNOWN_NAMES.fail(name, now, s.login_max_failures, s.login_lockout_minutes)
        return _locked_outcome(locked, now) if locked else LoginOutcome(False, "login_failed", _FAILED_ZH)
    if u.locked_until is not None and _aware(u.locked_until) > now:
        return _locked_outcome(_aware(u.locked_until), now)
    if not _verify(u.password_hash, password):
        u.failed_logins = (u.failed_logins or 0) + 1
        if s.login_max_failures and u.failed_logins >= s.login_max_failures:
            u.failed_logins = 0
            u.locked_until = now + timedelta(minutes=s.login_lockout_minutes)
            session.flush()
            return _locked_outcome(u.locked_until, now)
        session.flush()
        return LoginOutcome(False, "login_failed", _FAILED_ZH)
    if not u.active:
        return LoginOutcome(False, "login_failed", _FAILED_ZH)
    u.failed_logins = 0
    u.locked_until = None
    u.last_login_at = now
    if hasher().check_needs_rehash(u.password_hash):
        u.password_hash = hash_password(password)
    token, row = _new_session(session, u, client_ip, user_agent)
    return LoginOutcome(
        ok=True,
        code="ok",
        message_zh="登录成功",
        token=token,
        user=_user_info(session, u),
        csrf_token=row.csrf_token,
    )


def _new_session(
    session: Session, u: User, client_ip: str | None, user_agent: str | None
) -> tuple[str, UserSession]:
    s = get_settings()
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=_sha256(token),
        user_id=u.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=s.session_absolute_minutes),
        client_ip=(client_ip or "")[:64] or None,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return token, row


def create_session(
    session: Session, username: str, *, client_ip: str | None = None, user_agent: str | None = None
) -> tuple[str, str]:
    """A portal session for ``username`` without a password check (CLI, tests): (token, csrf)."""
    token, row = _new_session(session, _user(session, username), client_ip, user_agent)
    return token, row.csrf_token


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _sha256(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _department_fields(session: Session, department_id: int | None) -> dict[str, Any]:
    d = session.get(Department, department_id) if department_id else None
    if d is None:
        return {}
    return {
        "department_id": d.id,
        "department_code": d.code,
        "department_name": d.name,
        "provider_code": d.provider_code,
    }


def resolve_session(session: Session, token: str, *, client_ip: str | None = None) -> Principal | None:
    """The user behind a session cookie, or None when the session is unknown, ended, idle for
    longer than ``session_idle_minutes`` or older than ``session_absolute_minutes``."""
    s = get_settings()
    now = utcnow()
    row = session.scalar(
        select(UserSession).where(UserSession.token_hash == _sha256(token), UserSession.ended_at.is_(None))
    )
    if row is None:
        return None
    idle = timedelta(minutes=s.session_idle_minutes)
    if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + idle <= now:
        row.ended_at = now
        session.flush()
        return None
    u = session.get(User, row.user_id)
    # A lockout after failed logins stops new logins, not the owner's running session (else
    # anyone could sign a user out by mistyping their password); disabling the user does.
    if u is None or not u.active:
        return None
    d = session.get(Department, u.department_id) if u.department_id else None
    if d is not None and not d.active:
        return None
    # Sliding idle window; written at most every tenth of it to spare the store.
    if now - _aware(row.last_seen_at) > min(idle / 10, timedelta(minutes=1)):
        row.last_seen_at = now
        session.flush()
    return Principal(
        role=u.role,
        kind="user",
        user_id=u.id,
        username=u.username,
        display_name=u.display_name,
        subject_id=u.subject_id,
        session_id=row.id,
        csrf_token=row.csrf_token,
        client_ip=client_ip,
        **_department_fields(session, u.department_id),
    )


# ---------------------------------------------------------------------------------------------
# API keys


def _key_info(session: Session, k: ApiKey) -> ApiKeyInfo:
    d = session.get(Department, k.department_id) if k.department_id else None
    u = session.get(User, k.user_id) if k.user_id else None
    return ApiKeyInfo(
        id=k.id,
        prefix=k.prefix,
        name=k.name,
        role=k.role,
        department_code=d.code if d else None,
        provider_code=d.provider_code if d else None,
        username=u.username if u else None,
        subject_id=k.subject_id,
        scopes=list(k.scopes or []),
        items=list(k.items or []),
        expires_at=k.expires_at,
        revoked_at=k.revoked_at,
        rotated_from_id=k.rotated_from_id,
        created_by=k.created_by or "",
        created_at=k.created_at,
        last_used_at=k.last_used_at,
    )


def _new_key() -> tuple[str, str]:
    """``xy_<12 hex prefix>_<32 random bytes, url-safe>``: the prefix finds the row."""
    prefix = secrets.token_hex(_KEY_PREFIX_BYTES)
    return f"xy_{prefix}_{secrets.token_urlsafe(32)}", prefix


def _check_scopes(role: str, scopes: Iterable[str] | None) -> list[str]:
    wanted = list(dict.fromkeys(scopes if scopes is not None else ROLE_DEFAULT_SCOPES.get(role, ())))
    unknown = [x for x in wanted if x not in SCOPES]
    if unknown:
        raise _invalid(
            "scopes",
            f"Unknown scopes {unknown}",
            "API 密钥的权限范围不正确",
            value=unknown,
            allowed=sorted(SCOPES),
        )
    allowed = scopes_for_role(role)
    foreign = [x for x in wanted if x not in allowed]
    if foreign:
        raise _invalid(
            "scopes",
            f"Scopes {foreign} open no route to role {role!r}",
            f"权限范围 {foreign} 不适用于角色“{ROLE_NAMES_ZH[role]}”",
            value=foreign,
            allowed=sorted(allowed),
        )
    if not wanted:
        raise _invalid("scopes", "An API key needs at least one scope", "API 密钥至少需要一个权限范围")
    return wanted


def _check_items(items: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(i.strip() for i in items if i and i.strip()))
    catalog = get_catalog()
    for code in codes:
        catalog.item(code)  # NotFound catalog.unknown_item
    return codes


def create_api_key(
    session: Session,
    *,
    name: str,
    role: str,
    scopes: Iterable[str] | None = None,
    items: Iterable[str] = (),
    department_code: str | None = None,
    provider_code: str | None = None,
    username: str | None = None,
    subject_code: str | None = None,
    expires_at: datetime | None = None,
    expires_in_days: int | None = None,
    by: str = "",
) -> tuple[ApiKeyInfo, str]:
    """A key for a system. Returns its info and the key itself, which is shown ONCE (only its
    SHA-256 is stored). Owned by a department (provider keys: the provider's department) and/or
    a user; scoped to endpoints (``scopes``, default per role) and catalog items (empty = all the
    owner may use); expires after ``api_key_default_days`` unless told otherwise."""
    _check_role(role)
    label = (name or "").strip()
    if not label:
        raise _invalid(
            "name", "An API key needs a name (the system that uses it)", "API 密钥需要名称（使用它的系统）"
        )
    owner_user = _user(session, username) if username else None
    if owner_user is not None and owner_user.role != role:
        raise _invalid(
            "role", "A user's key has the user's role", "用户名下的密钥须与该用户角色一致", value=role
        )
    if owner_user is not None and not department_code and not provider_code and owner_user.department_id:
        dept: Department | None = session.get(Department, owner_user.department_id)
    else:
        dept = _owner_department(session, role, department_code, provider_code)
    subject_id = None
    if role == "subject":
        subject_id = owner_user.subject_id if owner_user else _resolve_subject(session, subject_code, None)
    checked_scopes = _check_scopes(role, scopes)
    checked_items = _check_items(items)
    if expires_at is None:
        days = get_settings().api_key_default_days if expires_in_days is None else expires_in_days
        expires_at = utcnow() + timedelta(days=days) if days else None
    key, prefix = _new_key()
    k = ApiKey(
        prefix=prefix,
        key_hash=_sha256(key),
        name=label,
        role=role,
        department_id=dept.id if dept else None,
        user_id=owner_user.id if owner_user else None,
        subject_id=subject_id,
        scopes=checked_scopes,
        items=checked_items,
        expires_at=expires_at,
        created_by=by,
    )
    session.add(k)
    session.flush()
    _ledger_key(session, k, "create", by)
    return _key_info(session, k), key


def _ledger_key(session: Session, k: ApiKey, action: str, by: str) -> None:
    ledger.append(
        session,
        "account.api_key",
        f"api_key:{k.prefix}",
        {
            "action": action,
            "role": k.role,
            "department_id": k.department_id,
            "user_id": k.user_id,
            "scopes": list(k.scopes or []),
            "items": list(k.items or []),
            "expires_at": k.expires_at,
            "rotated_from_id": k.rotated_from_id,
            "by": by,
        },
    )


def _api_key(session: Session, ref: int | str) -> ApiKey:
    k = (
        session.get(ApiKey, int(ref))
        if isinstance(ref, int) or str(ref).isdigit()
        else session.scalar(select(ApiKey).where(ApiKey.prefix == str(ref).removeprefix("xy_").split("_")[0]))
    )
    if k is None:
        raise NotFound("Unknown API key", "API 密钥不存在", code="accounts.unknown_key", value=str(ref))
    return k


def get_api_key(session: Session, ref: int | str) -> ApiKeyInfo:
    """A key by id or prefix."""
    return _key_info(session, _api_key(session, ref))


def list_api_keys(
    session: Session, *, department_code: str | None = None, include_revoked: bool = False
) -> list[ApiKeyInfo]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if department_code:
        stmt = stmt.where(ApiKey.department_id == _department(session, department_code).id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return [_key_info(session, k) for k in session.scalars(stmt)]


def revoke_api_key(session: Session, ref: int | str, *, by: str = "") -> ApiKeyInfo:
    """The key stops working at once (idempotent)."""
    k = _api_key(session, ref)
    if k.revoked_at is None:
        k.revoked_at = utcnow()
        session.flush()
        _ledger_key(session, k, "revoke", by)
    return _key_info(session, k)


def rotate_api_key(
    session: Session, ref: int | str, *, by: str = "", grace_minutes: int = 0
) -> tuple[ApiKeyInfo, str]:
    """A new key with the same owner, role, scopes and items; the old one is revoked at once, or
    keeps working for ``grace_minutes`` while the system switches over."""
    old = _api_key(session, ref)
    if old.revoked_at is not None:
        raise Conflict(
            "The key is revoked", "该 API 密钥已吊销，不能轮换", code="accounts.key_revoked", value=old.prefix
        )
    now = utcnow()
    lifetime = (_aware(old.expires_at) - _aware(old.created_at)) if old.expires_at else None
    key, prefix = _new_key()
    new = ApiKey(
        prefix=prefix,
        key_hash=_sha256(key),
        name=old.name,
        role=old.role,
        department_id=old.department_id,
        user_id=old.user_id,
        subject_id=old.subject_id,
        scopes=list(old.scopes or []),
        items=list(old.items or []),
        expires_at=now + lifetime if lifetime else None,
        rotated_from_id=old.id,
        created_by=by,
    )
    session.add(new)
    if grace_minutes > 0:
        grace_end = now + timedelta(minutes=grace_minutes)
        if old.expires_at is None or _aware(old.expires_at) > grace_end:
            old.expires_at = grace_end
    else:
        old.revoked_at = now
    session.flush()
    _ledger_key(session, new, "rotate", by)
    return _key_info(session, new), key


# The key a provider is issued when it is registered (``xinyong provider add``), and again by
# ``xinyong provider rotate-key``; keys an administrator adds for the department have other names.
# Migration 0013 gave the keys it moved from ingest this name too.
PROVIDER_KEY_NAME = "信息提供单位报送密钥"


def issue_provider_key(session: Session, provider_code: str, *, by: str = "") -> tuple[ApiKeyInfo, str]:
    """The provider's own key (``PROVIDER_KEY_NAME``, the provider role's default scopes, no
    expiry), as ingest issued it before accounts existed. An active one is rotated: it stops
    working at once."""
    department = provider_department(session, provider_code)
    current = list(
        session.scalars(
            select(ApiKey)
            .where(
                ApiKey.department_id == department.id,
                ApiKey.name == PROVIDER_KEY_NAME,
                ApiKey.revoked_at.is_(None),
            )
            .order_by(ApiKey.id)
        )
    )
    if not current:
        return create_api_key(
            session,
            name=PROVIDER_KEY_NAME,
            role="provider",
            provider_code=provider_code,
            expires_in_days=0,
            by=by,
        )
    for older in current[:-1]:
        revoke_api_key(session, older.id, by=by)
    return rotate_api_key(session, current[-1].id, by=by)  # same owner, scopes, no expiry


_BAD_KEY = ("Missing or invalid API key", "API 密钥缺失或无效")


def resolve_api_key(session: Session, key: str, *, client_ip: str | None = None) -> Principal:
    """The principal of an API key, or ``Unauthorized``. Every key is a row of ``api_keys``,
    providers' keys included (migration 0013 moved the keys ingest issued before)."""
    key = key.strip()
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "xy" or not parts[1] or not parts[2]:
        raise Unauthorized(*_BAD_KEY, code="auth.invalid_key")
    k = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if k is None or not hmac.compare_digest(k.key_hash, _sha256(key)):
        raise Unauthorized(*_BAD_KEY, code="auth.invalid_key")
    now = utcnow()
    if k.revoked_at is not None:
        raise Unauthorized("The API key was revoked", "该 API 密钥已吊销", code="auth.key_revoked")
    if k.expires_at is not None and _aware(k.expires_at) <= now:
        raise Unauthorized("The API key has expired", "该 API 密钥已过期", code="auth.key_expired")
    fields = _department_fields(session, k.department_id)
    if fields and not session.get(Department, k.department_id).active:  # type: ignore[union-attr]
        raise Forbidden("The department is deactivated", "该部门已停用", code="auth.department_inactive")
    owner = session.get(User, k.user_id) if k.user_id else None
    if owner is not None and not owner.active:
        raise Forbidden("The key's owner is disabled", "密钥所属用户已停用", code="auth.owner_inactive")
    if k.last_used_at is None or now - _aware(k.last_used_at) > timedelta(minutes=1):
        k.last_used_at = now
        session.flush()
    return Principal(
        role=k.role,
        kind="api_key",
        user_id=owner.id if owner else None,
        username=owner.username if owner else None,
        display_name=k.name,
        subject_id=k.subject_id,
        api_key_id=k.id,
        api_key_prefix=k.prefix,
        scopes=frozenset(k.scopes or []),
        items=frozenset(k.items) if k.items else None,
        client_ip=client_ip,
        credential_expires_at=_aware(k.expires_at) if k.expires_at is not None else None,
        **fields,
    )


# ---------------------------------------------------------------------------------------------
# API key cache: the hot path of embedded checks (嵌入式) must not spend three queries per call
# on who is calling. A resolved key is reused for ``api_key_cache_seconds``; any change to an API
# key, user or department made in this process (ORM flush or UPDATE/DELETE statement) empties
# the cache at once, so revocation is immediate here and within the TTL in other processes.

_generation = 0  # bumped by every change to the account tables seen in this process
_ACCOUNT_TABLES = frozenset({"api_keys", "users", "departments"})


@event.listens_for(Session, "after_flush")
def _accounts_flushed(session: Session, _context: Any) -> None:
    global _generation
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ApiKey | User | Department):
            _generation += 1
            return


@event.listens_for(Session, "do_orm_execute")
def _accounts_statement(state: ORMExecuteState) -> None:
    global _generation
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _ACCOUNT_TABLES:
            _generation += 1


class ApiKeyCache:
    """Principals of API keys seen in the last ``ttl`` seconds, by SHA-256 of the key and store.
    Thread-safe enough for its use: entries are immutable tuples replaced whole."""

    def __init__(self, ttl: float, *, max_keys: int = 10_000) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._entries: dict[tuple[int, str], tuple[Principal, float, int]] = {}

    def generation(self) -> int:
        """Read before resolving a key and hand to ``put``: a change meanwhile voids the entry."""
        return _generation

    def get(self, store: int, key: str, client_ip: str | None) -> Principal | None:
        if self.ttl <= 0:
            return None
        hit = self._entries.get((store, _sha256(key)))
        if hit is None:
            return None
        principal, deadline, generation = hit
        if generation != _generation or time.monotonic() > deadline:
            return None
        expires = principal.credential_expires_at
        if expires is not None and expires <= utcnow():
            return None
        return replace(principal, client_ip=client_ip)

    def put(self, store: int, key: str, principal: Principal, generation: int) -> None:
        if self.ttl <= 0 or principal.api_key_id is None:
            return  # only a principal of a key row is cached (its changes void the cache)
        if len(self._entries) >= self.max_keys:
            self._entries.clear()
        self._entries[(store, _sha256(key))] = (principal, time.monotonic() + self.ttl, generation)


def resolve_principal(
    session: Session,
    *,
    api_key: str | None = None,
    session_token: str | None = None,
    client_ip: str | None = None,
) -> tuple[Principal, bool]:
    """Who is calling: an API key wins over a session cookie. Returns (principal, stale_cookie):
    ``stale_cookie`` is True when a session cookie was sent but no longer counts. A bad or
    expired API key is ``Unauthorized`` (never silently anonymous)."""
    if api_key:
        return resolve_api_key(session, api_key, client_ip=client_ip), False
    if session_token:
        p = resolve_session(session, session_token, client_ip=client_ip)
        if p is not None:
            return p, False
        return Principal(client_ip=client_ip), True
    return Principal(client_ip=client_ip), False


# ---------------------------------------------------------------------------------------------
# Subject accounts: self-registration


def register_subject_account(
    session: Session,
    *,
    claim: Any,
    username: str,
    display_name: str,
    password: str,
    binder: Any = None,
) -> UserInfo:
    """Self-registration of a subject account: the ``SubjectBinder`` (default: the registry
    binder, USCC + legal representative's name + ID number matching the subject record) proves
    which subject the registrant speaks for. Username and password are checked first, so a
    binding attempt is never wasted on a bad form."""
    name = _clean_username(username)
    if not _USERNAME.match(name):
        raise _invalid(
            "username",
            "Username: 3-64 characters, lower-case letters, digits, _ . @ -",
            "用户名应为 3-64 位小写字母、数字或 _ . @ -，以字母或数字开头",
            value=username,
        )
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(
            f"User {name!r} exists", f"用户名“{name}”已被使用", code="accounts.user_exists", value=name
        )
    _require_good_password(password, name)
    chosen = binder or get_binder()
    subject_id = chosen.bind(session, claim)
    return create_user(
        session,
        username=name,
        display_name=display_name,
        role="subject",
        password=password,
        subject_id=subject_id,
        by="self-registration",
        bound_by=f"self:{chosen.name}",
    )


# ---------------------------------------------------------------------------------------------
# Demo accounts (xinyong demo build)

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
    for code, name in (staff_department, DEMO_BANK_DEPARTMENT):
        if session.scalar(select(Department.id).where(Department.code == code)) is None:
            create_department(session, code, name, by="demo")
    bank_code = DEMO_BANK_DEPARTMENT[0]
    regulator_dept = provider_department(session, regulator_provider_code).code
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
        existing = session.scalar(select(User).where(User.username == username))
        info = (
            _user_info(session, existing)
            if existing is not None
            else create_user(
                session,
                username=username,
                display_name=display,
                role=role,
                password=DEMO_PASSWORD,
                by="demo",
                **extra,
            )
        )
        organisation = info.department_name or ""
        if info.subject_id is not None:
            organisation = subjects_service.get_subject(session, info.subject_id).name
        out.append(DemoAccount(role, username, DEMO_PASSWORD, info.display_name, organisation))
    session.flush()
    return out
