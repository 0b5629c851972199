"""Personal-information protection primitives: AES-GCM encryption and a keyed blind index.

ID numbers are never stored in clear: the ciphertext is kept for staff who need the number and
an HMAC-SHA256 blind index is used to match. Keys are derived from ``XINYONG_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    ct = AESGCM(_key(b"aes-gcm/v1")).encrypt(nonce, value.encode(), b"xinyong")
    return "v1:" + base64.b64encode(nonce + ct).decode()


def decrypt(token: str) -> str:
    version, _, body = token.partition(":")
    if version != "v1":
        raise ValueError(f"unknown ciphertext version {version!r}")
    raw = base64.b64decode(body)
    return AESGCM(_key(b"aes-gcm/v1")).decrypt(raw[:12], raw[12:], b"xinyong").decode()
