"""Mirroring the public checkpoints: ``xinyong ledger mirror URL DIR``.

Anyone may keep a copy of the signed checkpoints (``GET /api/v1/ledger/checkpoints``). Each run
fetches the whole list and the public key and checks, against what the mirror already holds:

* every held checkpoint is still served, byte for byte (a rewritten ledger needs new roots; a
  rollback drops the newest checkpoints): otherwise the run fails and names the first one;
* new checkpoints continue the held ones (ids +1, ranges contiguous) and each signature is
  valid under a key the mirror holds or the key the platform serves now (a new key is kept).

Held checkpoints are ``DIR/checkpoints.jsonl`` (one signed document per line, canonical JSON);
keys are ``DIR/keys.json``. ``held_checkpoints`` and ``compare_head`` let ``verify --mirror``
report a restored store that ends before the checkpoints do.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from xinyong.ledger.checkpoints import FORMAT, SIGNED_FIELDS
from xinyong.ledger.hashing import canonical_json
from xinyong.ledger.signing import key_id

Fetch = Callable[[str], Any]  # path (with query) -> parsed JSON
_PAGE = 1000
CHECKPOINTS_FILE = "checkpoints.jsonl"
KEYS_FILE = "keys.json"


class MirrorError(Exception):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


@dataclass
class MirrorOutcome:
    held: int
    added: int
    last_seq: int


def http_fetch(base_url: str, timeout: float = 30.0) -> Fetch:
    base = base_url.rstrip("/")

    def fetch(path: str) -> Any:
        with urllib.request.urlopen(base + path, timeout=timeout) as resp:
            return json.loads(resp.read())

    return fetch


def held_checkpoints(directory: Path) -> list[dict[str, Any]]:
    path = directory / CHECKPOINTS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _held_keys(directory: Path) -> dict[str, str]:
    path = directory / KEYS_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def _signature_ok(doc: dict[str, Any], keys: dict[str, str]) -> bool:
    pem = keys.get(doc.get("key_id", ""))
    if pem is None:
        return False
    public = load_pem_public_key(pem.encode())
    assert isinstance(public, Ed25519PublicKey)
    message = canonical_json({k: doc[k] for k in SIGNED_FIELDS}).encode("utf-8")
    try:
        public.verify(bytes.fromhex(doc["signature"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _fetch_all(fetch: Fetch) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = fetch(f"/api/v1/ledger/checkpoints?after_id={after}&limit={_PAGE}")
        out.extend(page["items"])
        if not page.get("next_after_id"):
            return out
        after = int(page["next_after_id"])


def mirror(fetch: Fetch, directory: Path) -> MirrorOutcome:
    """Fetch, check against what is held, then append the new checkpoints (see module doc)."""
    directory.mkdir(parents=True, exist_ok=True)
    held = held_checkpoints(directory)
    keys = _held_keys(directory)
    info = fetch("/api/v1/ledger/public-key")
    served_keys = {info["key_id"]: info["public_key_pem"]}
    served_keys.update({k["key_id"]: k["public_key_pem"] for k in info.get("retired", [])})
    for kid, pem in served_keys.items():
        public = load_pem_public_key(pem.encode())
        assert isinstance(public, Ed25519PublicKey)
        if key_id(public) != kid:
            raise MirrorError(f"the served key {kid} does not match its key id", f"公钥 {kid} 与其编号不符")
        keys.setdefault(kid, pem)
    served = _fetch_all(fetch)
    for i, doc in enumerate(held):
        if i >= len(served):
            raise MirrorError(
                f"checkpoint {doc['id']} (seq {doc['first_seq']}-{doc['last_seq']}) held by this mirror is no "
                f"longer served: the ledger was rolled back (served checkpoints reach seq "
                f"{served[-1]['last_seq'] if served else 0}; held reach seq {held[-1]['last_seq']})",
                f"本镜像持有的检查点 {doc['id']}（第 {doc['first_seq']}-{doc['last_seq']} 号条目）已不再发布：账本被回滚"
                f"（发布的检查点止于第 {served[-1]['last_seq'] if served else 0} 号，镜像持有的止于第 "
                f"{held[-1]['last_seq']} 号）",
            )
        if canonical_json(served[i]) != canonical_json(doc):
            raise MirrorError(
                f"checkpoint {doc['id']} (seq {doc['first_seq']}-{doc['last_seq']}) differs from the one this "
                f"mirror holds (root {doc['root'][:16]}… now {served[i]['root'][:16]}…): the ledger was rewritten",
                f"检查点 {doc['id']}（第 {doc['first_seq']}-{doc['last_seq']} 号条目）与本镜像持有的不同：账本被改写",
            )
    new = served[len(held) :]
    prev = held[-1] if held else None
    for doc in new:
        expected_id = prev["id"] + 1 if prev else 1
        expected_first = prev["last_seq"] + 1 if prev else 1
        if doc.get("format") != FORMAT or doc["id"] != expected_id or doc["first_seq"] != expected_first:
            raise MirrorError(
                f"checkpoint {doc['id']} does not continue the previous one (expected id {expected_id}, "
                f"first seq {expected_first})",
                f"检查点 {doc['id']} 未接续上一检查点（应为编号 {expected_id}，起始第 {expected_first} 号）",
            )
        if not _signature_ok(doc, keys):
            raise MirrorError(
                f"checkpoint {doc['id']} has an invalid signature (key {doc.get('key_id')})",
                f"检查点 {doc['id']} 的签名无效（密钥 {doc.get('key_id')}）",
            )
        prev = doc
    (directory / KEYS_FILE).write_text(json.dumps(keys, ensure_ascii=False, indent=1), "utf-8")
    if new:
        with (directory / CHECKPOINTS_FILE).open("a", encoding="utf-8") as fh:
            for doc in new:
                fh.write(canonical_json(doc) + "\n")
    last = (new[-1] if new else held[-1] if held else {"last_seq": 0})["last_seq"]
    return MirrorOutcome(held=len(held) + len(new), added=len(new), last_seq=int(last))


def compare_head(held: list[dict[str, Any]], head_seq: int) -> dict[str, Any] | None:
    """After a restore: a store whose ledger ends before the mirrored checkpoints was rolled back."""
    if not held:
        return None
    reach = int(held[-1]["last_seq"])
    if head_seq >= reach:
        return None
    return {
        "head_seq": head_seq,
        "checkpoints_reach": reach,
        "message": f"restored store ends at seq {head_seq}; checkpoints reach seq {reach}",
        "message_zh": f"恢复后的数据库止于第 {head_seq} 号条目；检查点已到第 {reach} 号（数据被回滚）",
    }
