"""Response shapes of the public ledger endpoints (the same JSON the offline script reads)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CheckpointOut(BaseModel):
    format: str = Field(description="xinyong-ledger/1")
    id: int
    first_seq: int
    last_seq: int
    tree_size: int
    root: str = Field(description="RFC 6962 Merkle root over the entries first_seq..last_seq (hex)")
    last_entry_hash: str
    created_at: str = Field(description="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ")
    key_id: str = Field(description="first 16 hex of sha256(raw Ed25519 public key)")
    signature: str = Field(description="Ed25519 over the canonical JSON of the fields above (hex)")


class CheckpointList(BaseModel):
    items: list[CheckpointOut]
    next_after_id: int | None = Field(description="pass as after_id for the next page; null at the end")


class KeyRef(BaseModel):
    key_id: str
    public_key_pem: str


class PublicKeyOut(BaseModel):
    algorithm: str
    key_id: str
    public_key_pem: str
    retired: list[KeyRef] = Field(description="rotated-out keys that signed older checkpoints")


class ProofEntry(BaseModel):
    seq: int
    kind: str
    ref: str
    payload_hash: str
    prev_hash: str
    entry_hash: str
    created_at: str
    payload: str | None = Field(default=None, description="canonical JSON; only in CLI proofs on request")


class ProofOut(BaseModel):
    format: str
    entry: ProofEntry
    leaf_index: int
    leaf_hash: str
    audit_path: list[str]
    checkpoint: CheckpointOut
