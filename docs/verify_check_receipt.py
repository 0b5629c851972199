#!/usr/bin/env python3
"""Check a Xinyong check receipt (联合奖惩核查回执) offline. Needs only Python 3 and `cryptography`.

    python verify_check_receipt.py ANSWER.json PUBLIC_KEY   (PEM, or the JSON of /api/v1/ledger/public-key)

ANSWER.json is the whole answer of POST /api/v1/checks (or one `check` of a batch answer), or
just its `receipt`. Get the public key through a channel you trust. Prints OK and exits 0 only if
the receipt's signature holds and, when the whole answer is given, the measures in it hash to the
receipt's answer_sha256 (nobody changed the measures, reasons or legal bases).

Receipts are signed in batches (format xinyong-check-receipt/2): the receipts of one commit are
the leaves of an RFC 6962 Merkle tree, and the tree head (`batch`: root, size, key_id) carries one
Ed25519 signature. A receipt is checked on its own: its leaf is H(0x00 || H(canonical JSON of
the receipt without `batch` and `proof`)), its audit path (`proof`) must lead to the signed root.
"""

import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key


def canon(o: object) -> bytes:
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def H(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def root_of(leaf: bytes, index: int, size: int, path: list) -> str:
    """The RFC 6962 tree head an audit path leads to from a leaf (RFC 9162, 2.1.3.2)."""
    if not 0 <= index < size:
        return ""
    r, fn, sn = leaf, index, size - 1
    for p in map(bytes.fromhex, path):
        if sn == 0:
            return ""
        if fn & 1 or fn == sn:
            r = H(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = H(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return r.hex() if sn == 0 else ""


def signature_problem(receipt: dict, key) -> str:
    """Format 2 (batch-signed): the receipt is a leaf of a Merkle tree whose signed head it carries.
    Format 1 (older receipts): one signature over the receipt itself."""
    if receipt.get("format") == "xinyong-check-receipt/2":
        head, proof = receipt.get("batch") or {}, receipt.get("proof") or {}
        body = {k: v for k, v in receipt.items() if k not in ("batch", "proof")}
        leaf = H(b"\x00" + H(canon(body)))
        if root_of(leaf, proof.get("index", -1), head.get("size", 0), proof.get("path", [])) != head.get("root"):
            return "the receipt is not in the signed batch (changed receipt or proof)"
        signer, signed = head, {k: v for k, v in head.items() if k != "signature"}
    elif receipt.get("format") == "xinyong-check-receipt/1":
        signer, signed = receipt, {k: v for k, v in receipt.items() if k != "signature"}
    else:
        return "not a Xinyong check receipt"
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if hashlib.sha256(raw).hexdigest()[:16] != signer.get("key_id"):
        return "the receipt was signed with another key (key_id differs)"
    try:
        key.verify(bytes.fromhex(signer["signature"]), canon(signed))
    except Exception:
        return "the signature is invalid"
    return ""


def check(doc: dict, pem: str) -> str:
    receipt = doc.get("receipt", doc)
    problem = signature_problem(receipt, load_pem_public_key(pem.encode()))
    if problem:
        return problem
    if "receipt" in doc:
        answer = {k: doc.get(k, []) for k in ("rewards", "punishments", "excluded")}
        if hashlib.sha256(canon(answer)).hexdigest() != receipt.get("answer_sha256"):
            return "the measures in the answer do not match the receipt"
    return ""


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f1, open(sys.argv[2], encoding="utf-8") as f2:
        doc, text = json.load(f1), f2.read()
    problem = check(doc, json.loads(text)["public_key_pem"] if text.lstrip().startswith("{") else text)
    receipt = doc.get("receipt", doc)
    print(f"FAIL: {problem}" if problem else f"OK: check {receipt['id']} issued {receipt['issued_at']}")
    sys.exit(1 if problem else 0)
