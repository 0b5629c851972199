"""Accounts: portal users: create, find, list, passwords set and changed, lock and unlock."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinyong.accounts.departments import _department, provider_department
from xinyong.accounts.models import Department, User, UserSession
from xinyong.accounts.passwords import _require_good_password, _verify, hash_password
from xinyong.accounts.principal import ROLE_NAMES_ZH
from xinyong.accounts.views import UserInfo, _check_role, _clean_username, _invalid
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, InvalidInput, NotFound
from xinyong.ledger import service as ledger
from xinyong.subjects import service as subjects_service

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{2,63}$")


def _valid_username(username: str) -> str:
    """The username as stored (NFKC, trimmed, lower-case), or ``InvalidInput`` for a malformed one."""
    name = _clean_username(username)
    if not _USERNAME.match(name):
        raise _invalid(
            "username",
            "Username: 3-64 characters, lower-case letters, digits, _ . @ -",
            "用户名应为 3-64 位小写字母、数字或 _ . @ -，以字母或数字开头",
            value=username,
        )
    return name


def _require_free_username(session: Session, name: str) -> None:
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(
            f"User {name!r} exists", f"用户名“{name}”已被使用", code="accounts.user_exists", value=name
        )


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
    name = _valid_username(username)
    display = (display_name or "").strip()
    if not display:
        raise _invalid("display_name", "A user needs a display name", "姓名（显示名）不能为空")
    _require_free_username(session, name)
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
