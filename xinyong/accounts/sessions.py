"""Accounts: login (with lockout after failed attempts) and portal sessions."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinyong.accounts.models import Department, User, UserSession
from xinyong.accounts.passwords import _burn_time, _verify, hash_password, hasher
from xinyong.accounts.principal import Principal
from xinyong.accounts.users import _user, _user_info
from xinyong.accounts.views import LoginOutcome, _aware, _clean_username, _sha256
from xinyong.core.db import utcnow
from xinyong.core.settings import get_settings

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
