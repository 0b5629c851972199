"""Personal-information protection primitives: AES-GCM encryption and a keyed blind index.

ID numbers are never stored in clear: the ciphertext is kept for staff who need the number and
an HMAC-SHA256 blind index is used to match. Keys are derived from ``XINYONG_SECRET_KEY``.

Ciphertexts are versioned (``v1:``, ``v2:`` ...). v1's key is derived from the master secret;
later versions come from ``XINYONG_PII_KEYS``; ``XINYONG_PII_KEY_VERSION`` picks the version new
ciphertexts use, and ``xinyong keys rotate-pii`` re-encrypts stored ones (docs/security.md). The
blind index keeps the master secret's key: changing it would need every hash recomputed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from xinyong.core.errors import DomainError
from xinyong.core.settings import get_settings


@lru_cache(maxsize=4)
def _master_key(secret: str, var_dir: str) -> bytes:
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    path = os.path.join(var_dir, "secret.key")
    if not os.path.exists(path):
        os.makedirs(var_dir, exist_ok=True)
        with open(path, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    with open(path) as fh:
        return hashlib.sha256(fh.read().strip().encode()).digest()


def _key(purpose: bytes) -> bytes:
    s = get_settings()
    master = _master_key(s.secret_key, str(s.var_dir))
    return hmac.new(master, purpose, hashlib.sha256).digest()


def blind_index(value: str) -> str:
    """Deterministic keyed hash used to look a value up without storing it."""
    return hmac.new(_key(b"blind-index/v1"), value.upper().encode(), hashlib.sha256).hexdigest()


class PiiKeyMissing(DomainError):
    """A ciphertext names a key version the settings do not hold: never guess."""

    status_code = 500
    code = "crypto.key_missing"


def _aes_key(version: int) -> bytes:
    """The AES-256-GCM key of ``version``: v1 is derived from the master secret; v2 and later
    come from ``XINYONG_PII_KEYS`` (``{"2": "<secret>"}``), each derived the same way."""
    if version == 1:
        return _key(b"aes-gcm/v1")
    secret = get_settings().pii_keys.get(version)
    if not secret:
        raise PiiKeyMissing(
            f"No PII encryption key v{version} (XINYONG_PII_KEYS)",
            f"缺少第 {version} 版个人信息加密密钥（XINYONG_PII_KEYS）",
            version=version,
        )
    master = hashlib.sha256(secret.encode()).digest()
    return hmac.new(master, f"aes-gcm/v{version}".encode(), hashlib.sha256).digest()


def current_key_version() -> int:
    """The key version new ciphertexts use (``XINYONG_PII_KEY_VERSION``, default 1)."""
    return get_settings().pii_key_version


def key_version(token: str) -> int:
    """The version a ciphertext (``v<N>:...``) was made with."""
    prefix, sep, _ = token.partition(":")
    if not sep or not prefix.startswith("v") or not prefix[1:].isdigit():
        raise ValueError("not a Xinyong ciphertext")
    return int(prefix[1:])


def encrypt(value: str) -> str:
    version = current_key_version()
    nonce = os.urandom(12)
    ct = AESGCM(_aes_key(version)).encrypt(nonce, value.encode(), b"xinyong")
    return f"v{version}:" + base64.b64encode(nonce + ct).decode()


def decrypt(token: str) -> str:
    try:
        version = key_version(token)
    except ValueError:
        raise ValueError(f"unknown ciphertext version {token.partition(':')[0]!r}") from None
    raw = base64.b64decode(token.partition(":")[2])
    return AESGCM(_aes_key(version)).decrypt(raw[:12], raw[12:], b"xinyong").decode()


def needs_rotation(token: str) -> bool:
    """Whether ``token`` was made with another key than the current one."""
    return key_version(token) != current_key_version()


def reencrypt(token: str) -> str:
    """``token`` decrypted with its own key version and encrypted with the current one."""
    return encrypt(decrypt(token)) if needs_rotation(token) else token
