"""The Ed25519 signing key (created on first use, rotated keys kept) and what it signs: single
documents and batches of documents under one Merkle root."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from xinyong.core.errors import DomainError
from xinyong.core.settings import get_settings
from xinyong.ledger.hashing import _leaf, _node, _sha256, _split, canonical_json

KEY_FILE_NAME = "ledger_ed25519.pem"
KEY_FILE_ENV = "XINYONG_LEDGER_KEY_FILE"
# Public keys of rotated-out signing keys, kept so old checkpoints still verify.
RETIRED_KEYS_DIR = "ledger_retired_keys"


class LedgerKeyMissing(DomainError):
    status_code = 503
    code = "ledger_key_missing"


_keys: dict[str, Ed25519PrivateKey] = {}
_keys_lock = threading.Lock()


def _key_path() -> tuple[Path, bool]:
    """Where the signing key lives, and whether an operator chose the path explicitly."""
    explicit = os.environ.get(KEY_FILE_ENV, "")
    if explicit:
        return Path(explicit), True
    return get_settings().var_dir / KEY_FILE_NAME, False


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        # link() fails if the file exists: a concurrent process that won the race keeps its key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _signing_key(create: bool = True) -> Ed25519PrivateKey | None:
    path, explicit = _key_path()
    with _keys_lock:
        cached = _keys.get(str(path))
        if cached is not None:
            return cached
        if not path.exists():
            if explicit:
                raise LedgerKeyMissing(
                    f"Ledger signing key file {path} does not exist",
                    "账本签名密钥文件不存在，请检查 XINYONG_LEDGER_KEY_FILE 配置",
                    path=str(path),
                )
            if not create:
                return None
            _create_key(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise LedgerKeyMissing(
                f"{path} is not an Ed25519 private key", "账本签名密钥不是 Ed25519 私钥", path=str(path)
            )
        _keys[str(path)] = key
        return key


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(public: Ed25519PublicKey) -> str:
    return _sha256(_raw(public))[:16]


_signing_key_ids: dict[int, tuple[Ed25519PrivateKey, str]] = {}


def _signing_key_id(key: Ed25519PrivateKey) -> str:
    """``key_id`` of a signing key's public half, remembered (every check receipt needs it)."""
    hit = _signing_key_ids.get(id(key))
    if hit is None or hit[0] is not key:
        hit = _signing_key_ids[id(key)] = (key, key_id(key.public_key()))
    return hit[1]


def _retired_keys() -> list[Ed25519PublicKey]:
    folder = get_settings().var_dir / RETIRED_KEYS_DIR
    out: list[Ed25519PublicKey] = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        data = path.read_bytes()
        key: Any = (
            serialization.load_pem_private_key(data, password=None).public_key()
            if b"PRIVATE KEY" in data
            else serialization.load_pem_public_key(data)
        )
        if isinstance(key, Ed25519PublicKey):
            out.append(key)
    return out


def _trusted_keys() -> dict[str, Ed25519PublicKey]:
    """Keys a checkpoint may be signed with: the current one (never created here) and retired ones."""
    keys = {key_id(k): k for k in _retired_keys()}
    try:
        current = _signing_key(create=False)
    except LedgerKeyMissing:
        current = None
    if current is not None:
        keys[key_id(current.public_key())] = current.public_key()
    return keys


def public_key_info() -> dict[str, Any]:
    """The current signing key's public half (created on first use) and any retired keys."""
    key = _signing_key()
    assert key is not None
    public = key.public_key()
    return {
        "algorithm": "Ed25519",
        "key_id": key_id(public),
        "public_key_pem": _pem(public),
        "retired": [{"key_id": key_id(k), "public_key_pem": _pem(k)} for k in _retired_keys()],
    }


def sign_document(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` plus ``key_id`` and ``signature``: the hex Ed25519 signature, by the ledger's
    key, of the canonical JSON of ``document`` with its ``key_id`` (everything but the
    signature). Other domains' signed documents use this (and :func:`sign_batch`, e.g. check
    receipts), so the one published public key verifies everything the platform signs; give
    ``document`` a ``format`` field of its own so it cannot be mistaken for another kind of
    signed document."""
    key = _signing_key()
    assert key is not None
    body = {**document, "key_id": _signing_key_id(key)}
    body.pop("signature", None)
    return {**body, "signature": key.sign(canonical_json(body).encode("utf-8")).hex()}


def verify_document(signed: dict[str, Any]) -> bool:
    """Whether ``signed`` (from :func:`sign_document`) carries a valid signature by a trusted
    (current or retired) ledger key."""
    signature, kid = signed.get("signature"), signed.get("key_id")
    if not isinstance(signature, str) or not isinstance(kid, str):
        return False
    key = _trusted_keys().get(kid)
    if key is None:
        return False
    body = {k: v for k, v in signed.items() if k != "signature"}
    try:
        key.verify(bytes.fromhex(signature), canonical_json(body).encode("utf-8"))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# ------------------------------------------------- batch signatures (one per Merkle tree of documents)


def document_leaf(document: dict[str, Any], *, plain: bool = False) -> bytes:
    """The RFC 6962 leaf of a document in a signed batch: H(0x00 || sha256(canonical JSON))."""
    return _leaf(_sha256(canonical_json(document, plain=plain).encode("utf-8")))


def sign_batch(leaves: Sequence[bytes], head: dict[str, Any]) -> tuple[dict[str, Any], list[list[str]]]:
    """One Ed25519 signature for many documents: ``head`` (give it a ``format`` of its own) plus
    ``root`` (the RFC 6962 Merkle tree hash of ``leaves``, from :func:`document_leaf`), ``size``
    and ``key_id``, signed over its canonical JSON; and each leaf's audit path (hex). Whoever holds
    a document, its index, the path and the signed head can check it with the public key alone
    (:func:`verify_batch_member`). Group-committed check receipts are signed this way: one
    signature per commit instead of one per check."""
    key = _signing_key()
    assert key is not None
    root, paths = _tree(leaves, 0, len(leaves))
    body = {**head, "root": root.hex(), "size": len(leaves), "key_id": _signing_key_id(key)}
    body.pop("signature", None)
    signed = {**body, "signature": key.sign(canonical_json(body).encode("utf-8")).hex()}
    return signed, [[p.hex() for p in path] for path in paths]


def _tree(leaves: Sequence[bytes], lo: int, hi: int) -> tuple[bytes, list[list[bytes]]]:
    """(Merkle tree hash, every leaf's audit path) of leaves[lo:hi] in one pass: O(n) hashes,
    where one ``_audit_path`` per leaf would be O(n) each."""
    if hi - lo == 1:
        return leaves[lo], [[]]
    k = _split(hi - lo)
    left, left_paths = _tree(leaves, lo, lo + k)
    right, right_paths = _tree(leaves, lo + k, hi)
    return _node(left, right), [*([*p, right] for p in left_paths), *([*p, left] for p in right_paths)]


def inclusion_root(leaf: bytes, index: int, size: int, path: Sequence[str]) -> str | None:
    """The root an audit path leads to from ``leaf`` at ``index`` of a tree of ``size`` leaves
    (RFC 9162 §2.1.3.2), or None when the path cannot belong to such a tree."""
    if not 0 <= index < size:
        return None
    r, fn, sn = leaf, index, size - 1
    try:
        for hexed in path:
            p = bytes.fromhex(hexed)
            if sn == 0:
                return None
            if fn & 1 or fn == sn:
                r = _node(p, r)
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = _node(r, p)
            fn, sn = fn >> 1, sn >> 1
    except (ValueError, TypeError):
        return None
    return r.hex() if sn == 0 else None


def verify_batch_member(document: dict[str, Any], index: Any, path: Any, head: Any) -> bool:
    """Whether ``document`` is leaf ``index`` of the batch whose signed ``head`` (from
    :func:`sign_batch`) carries a valid signature by a trusted (current or retired) key."""
    if not isinstance(head, dict) or not isinstance(path, list) or type(index) is not int:
        return False
    size, root = head.get("size"), head.get("root")
    if type(size) is not int or not isinstance(root, str):
        return False
    if inclusion_root(document_leaf(document), index, size, path) != root:
        return False
    return verify_document(head)
