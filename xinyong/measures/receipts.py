"""Check receipts (核查回执): signed in batches, verifiable by anyone with the public key.

A receipt (format ``xinyong-check-receipt/2``) is the check's decision record: who asked, about
whom, for which matter and purpose, which measures applied, the digest of the whole answer and the
data and rule versions it was read from. Receipts are signed together, Certificate-Transparency
style: the receipts committed in one group commit of the check log (or all receipts of one batch
check) are the leaves of an RFC 6962 Merkle tree whose root is signed once with the ledger's
Ed25519 key. Each receipt carries the signed tree head (``batch``) and its own audit path
(``proof``), so it is verified on its own: recompute its leaf, walk the path to the root, check the
signature on the head (``docs/verify_check_receipt.py`` does it with Python and ``cryptography``
only). One signature per commit instead of one per check: the signature was the costliest single
step of the check API.

Receipts issued before batch signing (``xinyong-check-receipt/1``, one signature each) still
verify.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from xinyong.ledger import service as ledger

RECEIPT_FORMAT = "xinyong-check-receipt/2"
LEGACY_FORMAT = "xinyong-check-receipt/1"
BATCH_FORMAT = "xinyong-check-batch/1"
FORMATS = frozenset({RECEIPT_FORMAT, LEGACY_FORMAT})
# The fields a receipt gets when it is sealed (everything else is the signed body).
_SEAL_FIELDS = ("batch", "proof")


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def seal(receipts: Sequence[dict[str, Any]], *, now: datetime | None = None) -> None:
    """Sign ``receipts`` (bodies built by the check service, plain JSON values only) with one
    signature: each gets ``batch`` (the signed tree head, shared) and ``proof`` (its index and
    audit path), in place."""
    if not receipts:
        return
    leaves = [ledger.document_leaf(r, plain=True) for r in receipts]
    head, paths = ledger.sign_batch(
        leaves, {"format": BATCH_FORMAT, "signed_at": _ts(now or datetime.now(UTC)), "algorithm": "Ed25519"}
    )
    for i, receipt in enumerate(receipts):
        receipt["batch"] = head
        receipt["proof"] = {"index": i, "path": paths[i]}


def body(receipt: dict[str, Any]) -> dict[str, Any]:
    """What a receipt's leaf covers: every field but the seal."""
    return {k: v for k, v in receipt.items() if k not in _SEAL_FIELDS}


def key_id(receipt: dict[str, Any]) -> str | None:
    """The id of the key that signed the receipt (its batch head's, or its own for format 1)."""
    holder = receipt.get("batch") if receipt.get("format") == RECEIPT_FORMAT else receipt
    kid = holder.get("key_id") if isinstance(holder, dict) else None
    return kid if isinstance(kid, str) else None


def verify(receipt: dict[str, Any]) -> bool:
    """Whether the receipt's signature holds (by a current or retired platform key)."""
    fmt = receipt.get("format")
    if fmt == LEGACY_FORMAT:
        return ledger.verify_document(receipt)
    if fmt != RECEIPT_FORMAT:
        return False
    proof = receipt.get("proof")
    if not isinstance(proof, dict):
        return False
    return ledger.verify_batch_member(
        body(receipt), proof.get("index"), proof.get("path"), receipt.get("batch")
    )
