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

from xinyong.accounts.api_keys import (
    PROVIDER_KEY_NAME,
    ApiKeyCache,
    create_api_key,
    get_api_key,
    issue_provider_key,
    list_api_keys,
    resolve_api_key,
    resolve_principal,
    revoke_api_key,
    rotate_api_key,
)
from xinyong.accounts.departments import (
    create_department,
    list_departments,
    provider_department,
    register_provider_department,
    set_department_active,
)
from xinyong.accounts.passwords import check_password, password_policy
from xinyong.accounts.policy import CONSOLE as CONSOLE_ROLES
from xinyong.accounts.principal import ACCOUNT_ROLES, ANONYMOUS, ROLE_NAMES_ZH, ROLES, Principal
from xinyong.accounts.providers import (
    authenticate,
    create_provider,
    ensure_may_submit,
    get_provider,
    list_providers,
    provider_codes,
    rotate_key,
    set_active,
    set_items,
)
from xinyong.accounts.registration import register_subject_account
from xinyong.accounts.sessions import UNKNOWN_NAMES, create_session, end_session, login, resolve_session
from xinyong.accounts.users import (
    change_password,
    create_user,
    get_user,
    get_user_by_id,
    list_users,
    lock_user,
    set_password,
    unlock_user,
)
from xinyong.accounts.views import (
    ApiKeyInfo,
    DepartmentInfo,
    LoginOutcome,
    PasswordPolicy,
    ProviderInfo,
    UserInfo,
)

__all__ = [
    "ACCOUNT_ROLES",
    "ANONYMOUS",
    "CONSOLE_ROLES",
    "PROVIDER_KEY_NAME",
    "ROLES",
    "ROLE_NAMES_ZH",
    "UNKNOWN_NAMES",
    "ApiKeyCache",
    "ApiKeyInfo",
    "DepartmentInfo",
    "LoginOutcome",
    "PasswordPolicy",
    "Principal",
    "ProviderInfo",
    "UserInfo",
    "authenticate",
    "change_password",
    "check_password",
    "create_api_key",
    "create_department",
    "create_provider",
    "create_session",
    "create_user",
    "end_session",
    "ensure_may_submit",
    "get_api_key",
    "get_provider",
    "get_user",
    "get_user_by_id",
    "issue_provider_key",
    "list_api_keys",
    "list_departments",
    "list_providers",
    "list_users",
    "lock_user",
    "login",
    "password_policy",
    "provider_codes",
    "provider_department",
    "register_provider_department",
    "register_subject_account",
    "resolve_api_key",
    "resolve_principal",
    "resolve_session",
    "revoke_api_key",
    "rotate_api_key",
    "rotate_key",
    "set_active",
    "set_department_active",
    "set_items",
    "set_password",
    "unlock_user",
]
