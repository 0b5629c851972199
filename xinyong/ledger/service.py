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

This module is what callers use (``from xinyong.ledger import service as ledger``); the work is
in ``hashing`` (canonical JSON, entry hashes, Merkle trees), ``signing`` (the Ed25519 key, signed
documents and batches), ``chain`` (appending), ``checkpoints``, ``proofs`` and ``verify``.
"""

from __future__ import annotations

from xinyong.ledger.chain import Batch, append, append_many, lock_head
from xinyong.ledger.checkpoints import (
    CHECKPOINT_MAX_ENTRIES,
    FORMAT,
    SIGNED_FIELDS,
    checkpoint,
    checkpoint_document,
    checkpoint_pending,
    list_checkpoints,
    uncovered_entries,
)
from xinyong.ledger.hashing import GENESIS_HASH, canonical_json, merkle_root, parse_ref
from xinyong.ledger.models import Checkpoint, LedgerEntry, LedgerHead
from xinyong.ledger.proofs import InclusionProof, inclusion_proof, proof_for_ref
from xinyong.ledger.signing import (
    KEY_FILE_ENV,
    KEY_FILE_NAME,
    RETIRED_KEYS_DIR,
    LedgerKeyMissing,
    document_leaf,
    inclusion_root,
    key_id,
    public_key_info,
    sign_batch,
    sign_document,
    verify_batch_member,
    verify_document,
)
from xinyong.ledger.verify import MAX_BREAKS, Break, VerifyResult, verify

__all__ = [
    "CHECKPOINT_MAX_ENTRIES",
    "FORMAT",
    "GENESIS_HASH",
    "KEY_FILE_ENV",
    "KEY_FILE_NAME",
    "MAX_BREAKS",
    "RETIRED_KEYS_DIR",
    "SIGNED_FIELDS",
    "Batch",
    "Break",
    "Checkpoint",
    "InclusionProof",
    "LedgerEntry",
    "LedgerHead",
    "LedgerKeyMissing",
    "VerifyResult",
    "append",
    "append_many",
    "canonical_json",
    "checkpoint",
    "checkpoint_document",
    "checkpoint_pending",
    "document_leaf",
    "inclusion_proof",
    "inclusion_root",
    "key_id",
    "list_checkpoints",
    "lock_head",
    "merkle_root",
    "parse_ref",
    "proof_for_ref",
    "public_key_info",
    "sign_batch",
    "sign_document",
    "uncovered_entries",
    "verify",
    "verify_batch_member",
    "verify_document",
]
