#!/usr/bin/env python3
"""Check a Xinyong check receipt (联合奖惩核查回执) offline. Needs only Python 3 and `cryptography`.

    python verify_check_receipt.py ANSWER.json PUBLIC_KEY   (PEM, or the JSON of /api/v1/ledger/public-key)

ANSWER.json is the whole answer of POST /api/v1/checks (or one `check` of a batch answer), or
just its `receipt`. Get the public key through a channel you trust. Prints OK and exits 0 only if
the Ed25519 signature of the receipt holds and, when the whole answer is given, the measures in it
hash to the receipt's answer_sha256 (nobody changed the measures, reasons or legal bases).
"""

import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key


def canon(o: object) -> bytes:
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check(doc: dict, pem: str) -> str:
    receipt = doc.get("receipt", doc)
    if receipt.get("format") != "xinyong-check-receipt/1":
        return "not a Xinyong check receipt"
    key = load_pem_public_key(pem.encode())
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if hashlib.sha256(raw).hexdigest()[:16] != receipt.get("key_id"):
        return "the receipt was signed with another key (key_id differs)"
    signed = {k: v for k, v in receipt.items() if k != "signature"}  # every other field is signed
    try:
        key.verify(bytes.fromhex(receipt["signature"]), canon(signed))
    except Exception:
        return "the signature is invalid"
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
