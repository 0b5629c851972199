"""Signed checkpoints: an Ed25519-signed RFC 6962 Merkle root over each contiguous range of entries."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict
from xinyong.ledger.chain import _ENTRY_COLUMNS, _entry_problem, _lock_head, _read_head
from xinyong.ledger.hashing import GENESIS_HASH, _ts, canonical_json, merkle_root
from xinyong.ledger.models import Checkpoint, LedgerEntry
from xinyong.ledger.signing import _signing_key, key_id

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
# PostgreSQL advisory lock id for checkpoint makers (any fixed 64-bit number unique to this use).
_CHECKPOINT_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"xinyong.ledger.checkpoint").digest()[:8], "big", signed=True
)


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


def uncovered_entries(session: Session) -> int:
    """How many entries are after the last checkpoint (two small reads)."""
    head = _read_head(session)
    last = session.scalar(select(func.max(Checkpoint.last_seq))) or 0
    return max(0, (head[0] if head else 0) - int(last))
