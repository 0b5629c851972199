"""The tamper-evident ledger: a SHA-256 hash chain with signed Merkle checkpoints.

Other domains call :func:`append` (or :func:`append_many` for ingest batches) in the SAME
transaction as the change they record, so a change and its ledger entry commit or roll back
together. Conventions for callers (see docs/security.md):

* ``kind``: dotted lower-case, e.g. ``record.version``, ``record.status``, ``list.decision``,
  ``ruleset.change``.
* ``ref``: what the entry is about, e.g. ``record:123/v2``, ``subject:45``, ``ruleset:publicity``.
* ``payload``: a JSON-able dict (dates become ISO strings). It is kept as canonical JSON
  (sorted keys, UTF-8, no whitespace) and hashed byte for byte.

Hashes (all SHA-256, lower-case hex):

* ``payload_hash = H(payload canonical JSON)``
* ``entry_hash = H(canonical JSON of [seq, kind, ref, payload_hash, prev_hash, created_at])``,
  ``created_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; the first entry's ``prev_hash`` is 64 zeros.
* Checkpoint: RFC 6962 Merkle tree over the entries of its range, leaf ``H(0x00 || entry_hash)``,
  node ``H(0x01 || left || right)``; the canonical JSON of :data:`SIGNED_FIELDS` is signed with
  Ed25519. ``key_id`` = first 16 hex of ``H(raw 32-byte public key)``.

Writers serialise on the single ``ledger_head`` row (``SELECT ... FOR UPDATE`` on PostgreSQL;
on SQLite the first write takes the database write lock), so seq has no gaps and the chain
cannot fork. The lock is held until the caller commits: append late in a transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import CursorResult, Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from xinyong.core.bulk import insert_rows
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, DomainError, InvalidInput, NotFound
from xinyong.core.settings import get_settings
from xinyong.ledger.models import Checkpoint, LedgerEntry, LedgerHead

__all__ = [
    "GENESIS_HASH",
    "Batch",
    "Break",
    "Checkpoint",
    "InclusionProof",
    "LedgerEntry",
    "LedgerKeyMissing",
    "VerifyResult",
    "append",
    "append_many",
    "canonical_json",
    "checkpoint",
    "checkpoint_document",
    "checkpoint_pending",
    "inclusion_proof",
    "key_id",
    "list_checkpoints",
    "merkle_root",
    "parse_ref",
    "proof_for_ref",
    "public_key_info",
    "sign_document",
    "verify",
    "verify_document",
]

GENESIS_HASH = "0" * 64
FORMAT = "xinyong-ledger/1"
# The fields of a checkpoint covered by its signature, in the proof JSON under "checkpoint".
SIGNED_FIELDS = (
    "format",
    "id",
    "first_seq",
    "last_seq",
    "tree_size",
    "root",
    "last_entry_hash",
    "created_at",
    "key_id",
)
# Not a legal number: bounds the work of building one inclusion proof (leaves are loaded).
CHECKPOINT_MAX_ENTRIES = 65_536
KEY_FILE_NAME = "ledger_ed25519.pem"
KEY_FILE_ENV = "XINYONG_LEDGER_KEY_FILE"
# Public keys of rotated-out signing keys, kept so old checkpoints still verify.
RETIRED_KEYS_DIR = "ledger_retired_keys"
MAX_BREAKS = 100
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_REF_RE = re.compile(r"^\S{1,200}$")
_STREAM_BATCH = 5_000
# PostgreSQL advisory lock id for checkpoint makers (any fixed 64-bit number unique to this use).
_CHECKPOINT_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"xinyong.ledger.checkpoint").digest()[:8], "big", signed=True
)
_HEAD = cast(Table, LedgerHead.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)


class LedgerKeyMissing(DomainError):
    status_code = 503
    code = "ledger_key_missing"


# ---------------------------------------------------------------- canonical forms and hashes


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _ts(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _plain(value: Any, depth: int = 0) -> bool:
    """Only str-keyed dicts, lists, str, 64-bit ints, bools and None: values for which orjson
    writes exactly the bytes ``json.dumps`` below writes (tested in tests/ledger/test_ledger.py)."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return -(2**63) <= value < 2**63
    if depth > 32:
        return False
    if t is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    if t is list:
        return all(_plain(v, depth + 1) for v in value)
    return False


def canonical_json(value: Any, *, plain: bool = False) -> str:
    """Sorted keys, no whitespace, UTF-8 text (not \\u escapes), dates as ISO strings.
    ``plain=True``: the caller built ``value`` from str-keyed dicts, lists, str, small ints, bools
    and None only (the check on that, a walk over every value, is skipped: hot paths)."""
    if plain or _plain(value):
        try:
            # 15x faster for the plain payloads bulk ingest appends (one per record version).
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:  # e.g. a lone surrogate: json.dumps decides
            pass
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ts(value: datetime) -> str:
    """UTC, microseconds, 'Z'. SQLite hands back naive datetimes, which we always store as UTC."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _entry_hash(seq: int, kind: str, ref: str, payload_hash: str, prev_hash: str, created_at: str) -> str:
    return _sha256(canonical_json([seq, kind, ref, payload_hash, prev_hash, created_at]).encode())


def _leaf(entry_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962 §2.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return leaves[lo]
    k = _split(hi - lo)
    return _node(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def _audit_path(m: int, leaves: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < lo + k:
        return [*_audit_path(m, leaves, lo, lo + k), _mth(leaves, lo + k, hi)]
    return [*_audit_path(m, leaves, lo + k, hi), _mth(leaves, lo, lo + k)]


def merkle_root(entry_hashes: Sequence[str]) -> str:
    """RFC 6962 Merkle tree hash over entry hashes (hex); the empty tree is H('')."""
    if not entry_hashes:
        return _sha256(b"")
    return _mth([_leaf(h) for h in entry_hashes], 0, len(entry_hashes)).hex()


def parse_ref(ref: str | None) -> dict[str, Any] | None:
    """``record:123/v2`` → ``{"type": "record", "id": "123", "version": 2}``."""
    if not ref or ":" not in ref:
        return None
    type_, _, rest = ref.partition(":")
    ident, _, tail = rest.partition("/")
    out: dict[str, Any] = {"type": type_, "id": ident}
    if re.fullmatch(r"v\d+", tail):
        out["version"] = int(tail[1:])
    elif tail:
        out["part"] = tail
    return out


# ---------------------------------------------------------------- signing key

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


# ---------------------------------------------------------------- appending


def _lock_head(session: Session) -> tuple[int, str]:
    """Serialise writers on the head row and return (last seq, last entry hash)."""
    table = _HEAD
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        locked = select(table.c.seq, table.c.entry_hash).where(table.c.id == 1).with_for_update()
        row = session.execute(locked).first()
        if row is None:
            session.execute(
                pg_insert(table)
                .values(id=1, seq=0, entry_hash=GENESIS_HASH, updated_at=now)
                .on_conflict_do_nothing(index_elements=["id"])
            )
            row = session.execute(locked).one()
    else:
        # A write is what takes SQLite's database lock; it is held until commit.
        result = cast(
            CursorResult[Any],
            session.execute(update(table).where(table.c.id == 1).values(updated_at=now)),
        )
        if result.rowcount == 0:
            session.execute(insert(table).values(id=1, seq=0, entry_hash=GENESIS_HASH, updated_at=now))
        row = session.execute(select(table.c.seq, table.c.entry_hash).where(table.c.id == 1)).one()
    return int(row.seq), str(row.entry_hash)


def _prepare(kind: str, ref: str, payload: dict[str, Any]) -> tuple[str, str, str, str]:
    if not isinstance(kind, str) or len(kind) > 64 or not _KIND_RE.match(kind):
        raise InvalidInput(
            "Ledger kind must be dotted lower-case, e.g. record.version",
            "账本条目类型须为小写点分形式，如 record.version",
            field="kind",
            value=kind,
        )
    if not isinstance(ref, str) or not _REF_RE.match(ref):
        raise InvalidInput(
            "Ledger ref must be 1-200 characters without spaces, e.g. record:123/v2",
            "账本条目引用须为 1-200 个非空白字符，如 record:123/v2",
            field="ref",
            value=ref,
        )
    if not isinstance(payload, dict):
        raise InvalidInput("Ledger payload must be an object", "账本载荷须为对象", field="payload")
    try:
        text = canonical_json(payload)
        digest = _sha256(text.encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"Ledger payload is not canonical JSON: {exc}",
            "账本载荷无法转为规范 JSON",
            field="payload",
            rule="canonical_json",
        ) from exc
    return kind, ref, text, digest


def _write(session: Session, prepared: list[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    seq, prev = _lock_head(session)
    now = utcnow()
    stamp = _ts(now)
    rows: list[dict[str, Any]] = []
    for kind, ref, text, payload_hash in prepared:
        seq += 1
        entry_hash = _entry_hash(seq, kind, ref, payload_hash, prev, stamp)
        rows.append(
            {
                "seq": seq,
                "kind": kind,
                "ref": ref,
                "payload": text,
                "payload_hash": payload_hash,
                "prev_hash": prev,
                "entry_hash": entry_hash,
                "created_at": now,
            }
        )
        prev = entry_hash
    table = _HEAD
    session.execute(update(table).where(table.c.id == 1).values(seq=seq, entry_hash=prev, updated_at=now))
    return rows


def append(session: Session, kind: str, ref: str, payload: dict[str, Any]) -> LedgerEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    prepared = [_prepare(kind, ref, payload)]
    (row,) = _write(session, prepared)
    entry = LedgerEntry(**row)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Batch:
    """What :func:`append_many` wrote: item ``i`` of the input got seq ``first_seq + i``."""

    first_seq: int
    last_seq: int
    last_entry_hash: str

    @property
    def count(self) -> int:
        return 0 if self.last_seq < self.first_seq else self.last_seq - self.first_seq + 1


def append_many(session: Session, items: Iterable[tuple[str, str, dict[str, Any]]]) -> Batch:
    """Append many ``(kind, ref, payload)`` entries under one lock with one bulk insert."""
    prepared = [_prepare(kind, ref, payload) for kind, ref, payload in items]
    if not prepared:
        seq, head = _lock_head(session)
        return Batch(first_seq=seq + 1, last_seq=seq, last_entry_hash=head)
    rows = _write(session, prepared)
    insert_rows(session, _ENTRIES, rows)
    return Batch(first_seq=rows[0]["seq"], last_seq=rows[-1]["seq"], last_entry_hash=rows[-1]["entry_hash"])


# ---------------------------------------------------------------- checking one entry

_ENTRY_COLUMNS = (
    LedgerEntry.seq,
    LedgerEntry.kind,
    LedgerEntry.ref,
    LedgerEntry.payload,
    LedgerEntry.payload_hash,
    LedgerEntry.prev_hash,
    LedgerEntry.entry_hash,
    LedgerEntry.created_at,
)


def _recomputed(row: Any, seq: int | None = None) -> str:
    return _entry_hash(
        row.seq if seq is None else seq,
        row.kind,
        row.ref,
        row.payload_hash,
        row.prev_hash,
        _ts(row.created_at),
    )


def _entry_problem(row: Any) -> str | None:
    """``payload_changed`` / ``entry_changed`` when the row no longer matches its own hashes."""
    if _sha256(row.payload.encode("utf-8")) != row.payload_hash:
        return "payload_changed"
    if _recomputed(row) != row.entry_hash:
        return "entry_changed"
    return None


# ---------------------------------------------------------------- checkpoints


def checkpoint_document(cp: Checkpoint) -> dict[str, Any]:
    """A checkpoint as published (API, proofs). The signature covers every other field
    (:data:`SIGNED_FIELDS`); the offline script relies on that, so add no unsigned field."""
    return {
        "format": FORMAT,
        "id": cp.id,
        "first_seq": cp.first_seq,
        "last_seq": cp.last_seq,
        "tree_size": cp.tree_size,
        "root": cp.root,
        "last_entry_hash": cp.last_entry_hash,
        "created_at": _ts(cp.created_at),
        "key_id": cp.key_id,
        "signature": cp.signature,
    }


def _signed_message(doc: dict[str, Any]) -> bytes:
    return canonical_json({k: doc[k] for k in SIGNED_FIELDS}).encode("utf-8")


def _signature_ok(cp: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(cp.key_id)
    if key is None:
        return False
    try:
        key.verify(bytes.fromhex(cp.signature), _signed_message(checkpoint_document(cp)))
    except (InvalidSignature, ValueError):
        return False
    return True


def _broken(message: str, message_zh: str, **details: Any) -> Conflict:
    return Conflict(message, message_zh, code="ledger_broken", **details)


def _lock_checkpoints(session: Session) -> int:
    """Serialise checkpoint makers; returns the last committed seq.

    On PostgreSQL an advisory lock is enough (entries up to the head are committed and never
    change), so appenders are not held up while a large range is hashed. On SQLite any write
    takes the database lock anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CHECKPOINT_LOCK_KEY)))
        head = _read_head(session)
        return head[0] if head else 0
    return _lock_head(session)[0]


def checkpoint(session: Session, *, max_entries: int = CHECKPOINT_MAX_ENTRIES) -> Checkpoint | None:
    """Sign a Merkle root over the entries since the last checkpoint (at most ``max_entries``).

    Returns None when there is nothing new. Refuses (``ledger_broken``) to sign a segment that
    does not verify, so a checkpoint never blesses tampered entries."""
    head_seq = _lock_checkpoints(session)
    last = session.scalars(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)).first()
    first = last.last_seq + 1 if last else 1
    if first > head_seq:
        return None
    upto = min(head_seq, first + max_entries - 1)
    rows = list(
        session.execute(
            select(*_ENTRY_COLUMNS)
            .where(LedgerEntry.seq >= first, LedgerEntry.seq <= upto)
            .order_by(LedgerEntry.seq)
        )
    )
    prev = GENESIS_HASH
    if first > 1:
        prev = session.scalar(select(LedgerEntry.entry_hash).where(LedgerEntry.seq == first - 1)) or ""
        if last is not None and prev != last.last_entry_hash:
            raise _broken(
                "The entry before this segment differs from the last checkpoint; run `xinyong ledger verify`",
                "本段之前的条目与上一检查点不符，请运行 xinyong ledger verify",
                seq=first - 1,
            )
    expected = first
    for row in rows:
        problem = "entry_deleted" if row.seq != expected else _entry_problem(row)
        if problem is None and row.prev_hash != prev:
            problem = "chain_broken"
        if problem:
            raise _broken(
                f"Ledger entry {expected} is broken ({problem}); run `xinyong ledger verify`",
                f"账本条目 {expected} 已损坏（{problem}），请运行 xinyong ledger verify",
                seq=expected,
                kind=problem,
            )
        prev = row.entry_hash
        expected += 1
    if expected != upto + 1:
        raise _broken(
            f"Ledger entry {expected} is missing; run `xinyong ledger verify`",
            f"账本条目 {expected} 缺失，请运行 xinyong ledger verify",
            seq=expected,
            kind="entry_deleted",
        )
    key = _signing_key()
    assert key is not None
    cp = Checkpoint(
        id=(last.id + 1) if last else 1,
        first_seq=first,
        last_seq=upto,
        tree_size=len(rows),
        root=merkle_root([r.entry_hash for r in rows]),
        last_entry_hash=rows[-1].entry_hash,
        key_id=key_id(key.public_key()),
        signature="",
        created_at=utcnow(),
    )
    cp.signature = key.sign(_signed_message(checkpoint_document(cp))).hex()
    session.add(cp)
    session.flush()
    return cp


def checkpoint_pending(session: Session, *, max_entries: int = CHECKPOINT_MAX_ENTRIES) -> list[Checkpoint]:
    """Checkpoint everything not yet covered (several checkpoints if there is much)."""
    made: list[Checkpoint] = []
    while (cp := checkpoint(session, max_entries=max_entries)) is not None:
        made.append(cp)
    return made


def list_checkpoints(session: Session, *, after_id: int = 0, limit: int = 100) -> list[Checkpoint]:
    return list(
        session.scalars(
            select(Checkpoint).where(Checkpoint.id > after_id).order_by(Checkpoint.id).limit(limit)
        )
    )


# ---------------------------------------------------------------- inclusion proofs


@dataclass
class InclusionProof:
    entry: dict[str, Any]
    leaf_index: int
    leaf_hash: str
    audit_path: list[str]
    checkpoint: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "entry": self.entry,
            "leaf_index": self.leaf_index,
            "leaf_hash": self.leaf_hash,
            "audit_path": self.audit_path,
            "checkpoint": self.checkpoint,
        }


def inclusion_proof(session: Session, seq: int, *, include_payload: bool = False) -> InclusionProof:
    """Leaf hash, audit path and signed checkpoint proving entry ``seq`` is in the ledger.

    The payload is left out unless asked for: it may hold information that is not public, and
    its hash is enough to verify the proof."""
    entry = session.get(LedgerEntry, seq)
    if entry is None:
        raise NotFound(f"No ledger entry {seq}", f"账本条目 {seq} 不存在", seq=seq)
    cp = session.scalars(
        select(Checkpoint).where(Checkpoint.first_seq <= seq, Checkpoint.last_seq >= seq).limit(1)
    ).first()
    if cp is None:
        raise Conflict(
            f"Ledger entry {seq} is not in a signed checkpoint yet",
            f"账本条目 {seq} 尚未纳入已签名的检查点，请稍后再试",
            code="ledger_not_checkpointed",
            seq=seq,
        )
    hashes = list(
        session.scalars(
            select(LedgerEntry.entry_hash)
            .where(LedgerEntry.seq >= cp.first_seq, LedgerEntry.seq <= cp.last_seq)
            .order_by(LedgerEntry.seq)
        )
    )
    leaves = [_leaf(h) for h in hashes]
    index = seq - cp.first_seq
    doc: dict[str, Any] = {
        "seq": entry.seq,
        "kind": entry.kind,
        "ref": entry.ref,
        "payload_hash": entry.payload_hash,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
        "created_at": _ts(entry.created_at),
    }
    if include_payload:
        doc["payload"] = entry.payload
    return InclusionProof(
        entry=doc,
        leaf_index=index,
        leaf_hash=_leaf(entry.entry_hash).hex(),
        audit_path=[p.hex() for p in _audit_path(index, leaves, 0, len(leaves))],
        checkpoint=checkpoint_document(cp),
    )


def proof_for_ref(session: Session, ref: str, *, include_payload: bool = False) -> InclusionProof:
    """The proof for the latest entry about ``ref`` (e.g. ``record:123/v2``)."""
    seq = session.scalar(select(func.max(LedgerEntry.seq)).where(LedgerEntry.ref == ref))
    if seq is None:
        raise NotFound(f"No ledger entry for {ref}", f"账本中没有 {ref} 的条目", ref=ref)
    return inclusion_proof(session, int(seq), include_payload=include_payload)


# ---------------------------------------------------------------- verification

_BREAK_TEXT = {
    "payload_changed": ("the payload was changed", "载荷被篡改"),
    "entry_changed": ("the entry was rewritten", "条目被改写"),
    "entry_deleted": ("entries were deleted", "条目被删除"),
    "reordered": ("entries were reordered", "条目顺序被调换"),
    "chain_broken": ("the hash chain is broken", "哈希链断裂"),
    "checkpoint_mismatch": ("a checkpoint does not match", "检查点不符"),
}


@dataclass
class Break:
    """One detected break. ``seq``/``entry_kind``/``ref`` name the entry (for a deletion: the
    missing seq; its neighbours are in ``details``); ``target`` is the parsed ref."""

    kind: str
    seq: int
    entry_kind: str | None
    ref: str | None
    message: str
    message_zh: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> dict[str, Any] | None:
        return parse_ref(self.ref)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "entry_kind": self.entry_kind,
            "ref": self.ref,
            "target": self.target,
            "message": self.message,
            "message_zh": self.message_zh,
            "details": self.details,
        }


@dataclass
class VerifyResult:
    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    breaks: list[Break] = field(default_factory=list)
    breaks_total: int = 0

    @property
    def ok(self) -> bool:
        return self.breaks_total == 0

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "head_seq": self.head_seq,
            "breaks_total": self.breaks_total,
            "first_break": self.first_break.to_dict() if self.first_break else None,
            "breaks": [b.to_dict() for b in self.breaks],
        }


def _make_break(
    kind: str, seq: int, row: Any | None, extra_en: str = "", extra_zh: str = "", **details: Any
) -> Break:
    en, zh = _BREAK_TEXT[kind]
    where = f"seq {seq}" + (f" ({row.kind} {row.ref})" if row is not None else "")
    return Break(
        kind=kind,
        seq=seq,
        entry_kind=row.kind if row is not None else None,
        ref=row.ref if row is not None else None,
        message=f"{where}: {en}" + (f"; {extra_en}" if extra_en else ""),
        message_zh=f"第 {seq} 号条目"
        + (f"（{row.kind} {row.ref}）" if row is not None else "")
        + f"：{zh}"
        + (f"；{extra_zh}" if extra_zh else ""),
        details=details,
    )


def _read_head(session: Session) -> tuple[int, str] | None:
    row = session.execute(select(LedgerHead.seq, LedgerHead.entry_hash).where(LedgerHead.id == 1)).first()
    return (int(row.seq), str(row.entry_hash)) if row else None


def _neighbour(row: Any | None) -> dict[str, Any] | None:
    return {"seq": row.seq, "kind": row.kind, "ref": row.ref} if row is not None else None


def verify(session: Session) -> VerifyResult:
    """Recompute every hash, the chain, seq continuity and every checkpoint root and signature.

    ``first_break`` is the earliest broken entry (entry-level breaks come before checkpoint
    mismatches, which can only name a range)."""
    result = VerifyResult()
    found: list[tuple[int, Break]] = []

    def report(b: Break, checkpoint_level: bool = False) -> None:
        result.breaks_total += 1
        found.append((1 if checkpoint_level else 0, b))

    head0 = _read_head(session)
    keys = _trusted_keys()
    cps = list(session.scalars(select(Checkpoint).order_by(Checkpoint.first_seq, Checkpoint.id)))
    result.checkpoints = len(cps)

    # Checkpoints on their own: contiguous ranges, consistent size, a valid signature.
    expected_first = 1
    for cp in cps:
        problems: list[tuple[str, str]] = []
        if cp.first_seq != expected_first:
            problems.append(("range does not follow the previous checkpoint", "范围与上一检查点不衔接"))
        if cp.tree_size != cp.last_seq - cp.first_seq + 1:
            problems.append(("tree size does not match its range", "树大小与范围不符"))
        if not _signature_ok(cp, keys):
            reason = "signature invalid" if cp.key_id in keys else f"unknown signing key {cp.key_id}"
            problems.append((reason, "签名无效" if cp.key_id in keys else f"签名密钥 {cp.key_id} 未知"))
        for en, zh in problems:
            report(
                _make_break(
                    "checkpoint_mismatch",
                    cp.first_seq,
                    None,
                    f"checkpoint {cp.id} (seq {cp.first_seq}-{cp.last_seq}): {en}",
                    f"检查点 {cp.id}（{cp.first_seq}-{cp.last_seq}）{zh}",
                    checkpoint_id=cp.id,
                    first_seq=cp.first_seq,
                    last_seq=cp.last_seq,
                ),
                checkpoint_level=True,
            )
        expected_first = cp.last_seq + 1

    cp_index = 0
    leaves: list[str] = []

    def close_checkpoint(cp: Checkpoint) -> None:
        if len(leaves) != cp.tree_size or merkle_root(leaves) != cp.root:
            report(
                _make_break(
                    "checkpoint_mismatch",
                    cp.first_seq,
                    None,
                    f"checkpoint {cp.id} (seq {cp.first_seq}-{cp.last_seq}): the entries no longer give its signed root",
                    f"检查点 {cp.id}（{cp.first_seq}-{cp.last_seq}）的条目与签名根哈希不符",
                    checkpoint_id=cp.id,
                    first_seq=cp.first_seq,
                    last_seq=cp.last_seq,
                    entries_found=len(leaves),
                ),
                checkpoint_level=True,
            )
        leaves.clear()

    suspects: list[tuple[Break, Any]] = []  # entry_changed breaks that may be reorderings
    expected_seq = 1
    prev_hash = GENESIS_HASH
    prev_row: Any | None = None
    prev_flagged = False
    stream = select(*_ENTRY_COLUMNS).order_by(LedgerEntry.seq).execution_options(yield_per=_STREAM_BATCH)
    for row in session.execute(stream):
        result.entries += 1
        flagged = False
        if row.seq != expected_seq:
            report(
                _make_break(
                    "entry_deleted",
                    expected_seq,
                    None,
                    f"seq {expected_seq}-{row.seq - 1} missing",
                    f"第 {expected_seq}-{row.seq - 1} 号条目缺失",
                    missing_from=expected_seq,
                    missing_to=row.seq - 1,
                    before=_neighbour(prev_row),
                    after=_neighbour(row),
                )
            )
            flagged = True
        problem = _entry_problem(row)
        if problem == "payload_changed":
            report(_make_break(problem, row.seq, row))
            flagged = True
        elif problem == "entry_changed":
            b = _make_break(problem, row.seq, row, "its hash does not match its content", "哈希与内容不符")
            report(b)
            suspects.append((b, row))
            flagged = True
        elif not flagged and not prev_flagged and row.prev_hash != prev_hash and prev_row is not None:
            # This entry is intact but does not link to the one before: that one was rewritten
            # together with its hashes (or this link was forged).
            report(
                _make_break(
                    "entry_changed",
                    prev_row.seq,
                    prev_row,
                    f"rewritten with recomputed hashes: entry {row.seq} links to another hash",
                    f"连同哈希一起被改写：第 {row.seq} 号条目链接的哈希与之不符",
                    next_seq=row.seq,
                )
            )
            flagged = True
        elif not flagged and prev_row is None and row.prev_hash != GENESIS_HASH:
            report(
                _make_break(
                    "chain_broken",
                    row.seq,
                    row,
                    "the first entry does not start the chain",
                    "首条目未从创世哈希开始",
                )
            )
            flagged = True

        # Feed the checkpoint whose range holds this seq.
        while cp_index < len(cps) and cps[cp_index].last_seq < row.seq:
            close_checkpoint(cps[cp_index])
            cp_index += 1
        if cp_index < len(cps) and cps[cp_index].first_seq <= row.seq:
            leaves.append(row.entry_hash)
            if row.seq == cps[cp_index].last_seq:
                close_checkpoint(cps[cp_index])
                cp_index += 1

        prev_hash, prev_row, prev_flagged = row.entry_hash, row, flagged
        expected_seq = row.seq + 1
    last_seq = expected_seq - 1
    for cp in cps[cp_index:]:
        close_checkpoint(cp)

    # The head row says how long the chain is: a shorter chain lost its tail.
    head = head0
    if head is not None and last_seq > head[0]:
        head = _read_head(session)  # appends may have committed while we read
    result.head_seq = head[0] if head else 0
    if head is None:
        if last_seq:
            report(
                _make_break(
                    "chain_broken", last_seq, prev_row, "the ledger head row is missing", "账本头记录缺失"
                )
            )
    elif last_seq < head[0]:
        report(
            _make_break(
                "entry_deleted",
                last_seq + 1,
                None,
                f"seq {last_seq + 1}-{head[0]} missing at the end",
                f"末尾第 {last_seq + 1}-{head[0]} 号条目缺失",
                missing_from=last_seq + 1,
                missing_to=head[0],
                before=_neighbour(prev_row),
            )
        )
    elif last_seq > head[0]:
        report(
            _make_break(
                "chain_broken",
                head[0] + 1,
                None,
                f"entries after the head (seq {head[0]}) were added behind the platform's back",
                f"头记录（{head[0]}）之后出现未经平台写入的条目",
            )
        )
    elif last_seq and head[1] != prev_hash and not prev_flagged:
        report(
            _make_break(
                "entry_changed",
                last_seq,
                prev_row,
                "rewritten with recomputed hashes: the head holds another hash",
                "连同哈希一起被改写：头记录中的哈希与之不符",
            )
        )

    # An entry whose hash fits another seq was moved there: name where it belongs.
    for b, row in suspects:
        if row.prev_hash == GENESIS_HASH:
            home = 1
        else:
            before = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.entry_hash == row.prev_hash))
            if before is None:
                continue
            home = int(before) + 1
        if home != row.seq and _recomputed(row, seq=home) == row.entry_hash:
            moved = _make_break(
                "reordered",
                row.seq,
                row,
                f"this entry belongs at seq {home}",
                f"该条目原应位于第 {home} 号",
                belongs_at=home,
            )
            b.kind, b.message, b.message_zh, b.details = (
                moved.kind,
                moved.message,
                moved.message_zh,
                moved.details,
            )

    found.sort(key=lambda item: (item[0], item[1].seq))
    result.breaks = [b for _, b in found[:MAX_BREAKS]]
    return result
