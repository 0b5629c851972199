#!/usr/bin/env python3
"""Check a Xinyong ledger inclusion proof offline. Needs only Python 3 and `cryptography`.

    python verify_ledger_proof.py PROOF.json PUBLIC_KEY   (PEM, or the JSON of /api/v1/ledger/public-key)

PROOF.json comes from GET /api/v1/ledger/proof/{seq} (or ?ref=record:123/v2) or `xinyong ledger
proof SEQ`. Get the public key through a channel you trust. Prints OK and exits 0 only if the
entry's hash, its Merkle audit path and the Ed25519 signature of the checkpoint all check out.
"""

import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key


def H(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def canon(o: object) -> bytes:
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check(proof: dict, pem: str) -> str:
    e, cp = proof["entry"], proof["checkpoint"]
    if e.get("payload") is not None and H(e["payload"].encode()).hex() != e["payload_hash"]:
        return "payload does not match payload_hash"
    fields = [e["seq"], e["kind"], e["ref"], e["payload_hash"], e["prev_hash"], e["created_at"]]
    if H(canon(fields)).hex() != e["entry_hash"]:
        return "entry_hash does not match the entry"
    r, fn, sn = H(b"\0" + bytes.fromhex(e["entry_hash"])), e["seq"] - cp["first_seq"], cp["tree_size"] - 1
    if not 0 <= fn <= sn:
        return "entry is outside the checkpoint"
    for p in map(bytes.fromhex, proof["audit_path"]):  # RFC 9162 §2.1.3.2
        if sn == 0:
            return "audit path too long"
        if fn & 1 or fn == sn:
            r = H(b"\1" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = H(b"\1" + r + p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r.hex() != cp["root"]:
        return "audit path does not lead to the checkpoint root"
    key = load_pem_public_key(pem.encode())
    if H(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hex()[:16] != cp["key_id"]:
        return "checkpoint was signed with another key (key_id differs)"
    signed = {k: v for k, v in cp.items() if k != "signature"}  # all other fields are signed
    try:
        key.verify(bytes.fromhex(cp["signature"]), canon(signed))
    except Exception:
        return "checkpoint signature is invalid"
    return ""


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f1, open(sys.argv[2], encoding="utf-8") as f2:
        proof, text = json.load(f1), f2.read()
    problem = check(proof, json.loads(text)["public_key_pem"] if text.lstrip().startswith("{") else text)
    e, cp = proof["entry"], proof["checkpoint"]
    print(f"FAIL: {problem}" if problem else f"OK: entry {e['seq']} {e['ref']} is in checkpoint {cp['id']}")
    sys.exit(1 if problem else 0)
