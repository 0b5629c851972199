"""Inclusion proofs: an entry, its leaf, its audit path and the signed checkpoint covering it
(checked offline by ``docs/verify_ledger_proof.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.core.errors import Conflict, NotFound
from xinyong.ledger.checkpoints import FORMAT, checkpoint_document
from xinyong.ledger.hashing import _audit_path, _leaf, _ts
from xinyong.ledger.models import Checkpoint, LedgerEntry

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
