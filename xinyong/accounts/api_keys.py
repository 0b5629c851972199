"""Accounts: API keys (created, rotated, revoked; providers' own keys), their resolution into a
:class:`Principal` with a short-lived cache, and ``resolve_principal`` (API key or session)."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from xinyong.accounts.departments import _department, provider_department
from xinyong.accounts.key_use import note_use
from xinyong.accounts.models import ApiKey, Department, User
from xinyong.accounts.policy import ROLE_DEFAULT_SCOPES, SCOPES, scopes_for_role
from xinyong.accounts.principal import ROLE_NAMES_ZH, Principal
from xinyong.accounts.sessions import _department_fields, resolve_session
from xinyong.accounts.users import _owner_department, _resolve_subject, _user
from xinyong.accounts.views import ApiKeyInfo, _aware, _check_role, _invalid, _sha256
from xinyong.catalog.service import get_catalog
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from xinyong.core.settings import get_settings
from xinyong.ledger import service as ledger

_KEY_PREFIX_BYTES = 6  # 12 hex characters


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
    # Noted, not written: a background job stamps it (key_use.py), so no request waits for the
    # store's write lock just to say it came.
    note_use(session, k.id, _aware(k.last_used_at) if k.last_used_at is not None else None, now)
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
