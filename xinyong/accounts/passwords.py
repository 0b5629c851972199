"""Accounts: the password policy in force (rulesets/<name>/accounts.yaml) and argon2id hashing."""

from __future__ import annotations

import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from xinyong.accounts.views import PasswordPolicy, _clean_username
from xinyong.core.errors import DomainError, InvalidInput
from xinyong.core.settings import get_settings

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
