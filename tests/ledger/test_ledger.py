"""The tamper-evident ledger: chain, checkpoints, proofs, and detection of changes made in SQL."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from xinyong.core import events
from xinyong.core.db import Database
from xinyong.core.errors import Conflict, InvalidInput
from xinyong.core.settings import get_settings
from xinyong.ledger import hashing, signing
from xinyong.ledger import service as ledger

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "verify_ledger_proof.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_ledger_proof", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fill(db: Database, n: int, *, checkpoint: bool = True) -> None:
    """n record versions ``record:1/v1`` .. ``record:n/v1``, then a checkpoint over them."""
    with db.session() as s:
        for i in range(1, n + 1):
            ledger.append(
                s, "record.version", f"record:{i}/v1", {"record_id": i, "version": 1, "fine": i * 100}
            )
        if checkpoint:
            ledger.checkpoint(s)


def _verify(db: Database) -> ledger.VerifyResult:
    with db.session() as s:
        return ledger.verify(s)


def _sql(db: Database, *statements: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        for stmt in statements:
            conn.execute(text(stmt), params)


def test_entries_chain_and_verify(db: Database) -> None:
    with db.session() as s:
        first = ledger.append(
            s,
            "record.version",
            "record:7/v1",
            {"名称": "某某公司", "decided": date(2026, 4, 1), "b": 1, "a": [2, 1]},
        )
        second = ledger.append(s, "record.status", "record:7/v1", {"status": "withdrawn"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == ledger.GENESIS_HASH and second.prev_hash == first.entry_hash
    # Canonical JSON: sorted keys, no whitespace, real UTF-8, ISO dates; hashed byte for byte.
    assert first.payload == '{"a":[2,1],"b":1,"decided":"2026-04-01","名称":"某某公司"}'
    assert first.payload_hash == hashlib.sha256(first.payload.encode()).hexdigest()
    result = _verify(db)
    assert result.ok and result.entries == 2 and result.head_seq == 2 and result.first_break is None


def test_entry_commits_or_rolls_back_with_the_change(db: Database) -> None:
    s = db.sessionmaker()
    try:
        events.emit(s, "record.created", record_id=1)
        ledger.append(s, "record.version", "record:1/v1", {"x": 1})
        s.rollback()
    finally:
        s.close()
    with db.session() as s:
        entry = ledger.append(s, "record.version", "record:2/v1", {"x": 2})
    assert entry.seq == 1  # the rolled-back entry left no gap
    assert _verify(db).ok


def test_bad_kind_ref_or_payload_is_refused(session: Any) -> None:
    with pytest.raises(InvalidInput):
        ledger.append(session, "Record Version", "record:1/v1", {})
    with pytest.raises(InvalidInput):
        ledger.append(session, "record.version", "record 1", {})
    with pytest.raises(InvalidInput):
        ledger.append(session, "record.version", "record:1/v1", {"x": float("nan")})


def test_append_many_is_one_contiguous_chain(db: Database) -> None:
    with db.session() as s:
        ledger.append(s, "ruleset.change", "ruleset:publicity", {"effective_from": "2026-04-01"})
        batch = ledger.append_many(s, [("record.version", f"record:{i}/v1", {"i": i}) for i in range(300)])
        after = ledger.append(s, "record.version", "record:999/v1", {})
    assert (batch.first_seq, batch.last_seq, batch.count) == (2, 301, 300)
    assert after.seq == 302 and after.prev_hash == batch.last_entry_hash
    with db.session() as s:
        made = ledger.checkpoint_pending(s, max_entries=128)
    assert [(c.first_seq, c.last_seq) for c in made] == [(1, 128), (129, 256), (257, 302)]
    result = _verify(db)
    assert result.ok and result.entries == 302 and result.checkpoints == 3


def test_checkpoint_signs_only_new_entries(db: Database) -> None:
    _fill(db, 3)
    with db.session() as s:
        assert ledger.checkpoint(s) is None  # nothing new
        ledger.append(s, "record.version", "record:4/v1", {})
        cp = ledger.checkpoint(s)
    assert cp is not None and (cp.id, cp.first_seq, cp.last_seq, cp.tree_size) == (2, 4, 4, 1)


# --------------------------------------------------------------- tampering directly in SQL


def _rewrite_entry_4(db: Database) -> None:
    """A careful attacker: new payload with payload_hash and entry_hash recomputed."""
    with db.session() as s:
        row = s.get(ledger.LedgerEntry, 4)
        assert row is not None
        payload = '{"fine":1,"record_id":4,"version":1}'
        payload_hash = hashlib.sha256(payload.encode()).hexdigest()
        parts = [4, row.kind, row.ref, payload_hash, row.prev_hash, hashing._ts(row.created_at)]
        entry_hash = hashlib.sha256(
            json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
    _sql(
        db,
        "UPDATE ledger_entries SET payload = :p, payload_hash = :ph, entry_hash = :eh WHERE seq = 4",
        p=payload,
        ph=payload_hash,
        eh=entry_hash,
    )


TAMPERING: dict[str, tuple[Callable[[Database], None], str, int, str | None]] = {
    "update payload": (
        lambda db: _sql(db, "UPDATE ledger_entries SET payload = :p WHERE seq = 4", p='{"fine":1}'),
        "payload_changed",
        4,
        "record:4/v1",
    ),
    "rewrite with recomputed hashes": (_rewrite_entry_4, "entry_changed", 4, "record:4/v1"),
    "delete an entry": (
        lambda db: _sql(db, "DELETE FROM ledger_entries WHERE seq = 4"),
        "entry_deleted",
        4,
        None,
    ),
    "delete the last entry": (
        lambda db: _sql(db, "DELETE FROM ledger_entries WHERE seq = 10"),
        "entry_deleted",
        10,
        None,
    ),
    "swap two entries (reorder)": (
        lambda db: _sql(
            db,
            "UPDATE ledger_entries SET seq = -1 WHERE seq = 3",
            "UPDATE ledger_entries SET seq = 3 WHERE seq = 6",
            "UPDATE ledger_entries SET seq = 6 WHERE seq = -1",
        ),
        "reordered",
        3,
        "record:6/v1",
    ),
    "tamper a checkpoint root": (
        lambda db: _sql(db, "UPDATE ledger_checkpoints SET root = :r WHERE id = 1", r="ab" * 32),
        "checkpoint_mismatch",
        1,
        None,
    ),
    "kind changed after the last checkpoint": (
        lambda db: _sql(db, "UPDATE ledger_entries SET kind = 'record.status' WHERE seq = 9"),
        "entry_changed",
        9,
        "record:9/v1",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_sql_tampering_is_detected_and_located(db: Database, case: str) -> None:
    _fill(db, 8)  # entries 1..8 in checkpoint 1
    with db.session() as s:
        ledger.append(s, "record.version", "record:9/v1", {})
        ledger.append(s, "record.version", "record:10/v1", {})
    assert _verify(db).ok
    tamper, kind, seq, ref = TAMPERING[case]
    tamper(db)
    result = _verify(db)
    assert not result.ok
    first = result.first_break
    assert first is not None
    assert (first.kind, first.seq, first.ref) == (kind, seq, ref), first.to_dict()
    if ref:
        assert first.target == {"type": "record", "id": ref.split(":")[1].split("/")[0], "version": 1}
    if kind == "entry_deleted" and seq == 4:
        assert first.details["before"]["ref"] == "record:3/v1"
        assert first.details["after"]["ref"] == "record:5/v1"
        assert any(b.kind == "checkpoint_mismatch" for b in result.breaks)
    if kind == "reordered":
        assert first.details["belongs_at"] == 6
        assert [b.seq for b in result.breaks if b.kind == "reordered"] == [3, 6]
    if kind == "checkpoint_mismatch":
        assert first.details["checkpoint_id"] == 1


def test_checkpoint_refuses_to_sign_a_tampered_segment(db: Database) -> None:
    _fill(db, 3, checkpoint=False)
    _sql(db, "UPDATE ledger_entries SET payload = :p WHERE seq = 2", p="{}")
    with db.session() as s, pytest.raises(Conflict) as err:
        ledger.checkpoint(s)
    assert err.value.code == "ledger_broken" and err.value.details["seq"] == 2


# --------------------------------------------------------------- proofs


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_every_inclusion_proof_verifies_and_a_forged_one_does_not(db: Database, size: int) -> None:
    check = _script().check
    _fill(db, size)
    pem = ledger.public_key_info()["public_key_pem"]
    with db.session() as s:
        proofs = [
            ledger.inclusion_proof(s, seq, include_payload=True).to_dict() for seq in range(1, size + 1)
        ]
    for proof in proofs:
        assert check(proof, pem) == "", proof
    forged = json.loads(json.dumps(proofs[-1]))
    forged["entry"]["payload"] = '{"fine":1}'
    assert check(forged, pem) == "payload does not match payload_hash"
    forged["entry"].pop("payload")
    forged["entry"]["ref"] = "record:999/v1"
    assert check(forged, pem) == "entry_hash does not match the entry"
    moved = json.loads(json.dumps(proofs[0]))
    moved["checkpoint"]["root"] = "00" * 32
    assert check(moved, pem) == "audit path does not lead to the checkpoint root"


def test_standalone_script_checks_a_proof_from_the_api(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    _fill(db, 6)
    proof = client.get("/api/v1/ledger/proof", params={"ref": "record:5/v1"})
    assert proof.status_code == 200
    assert proof.json()["entry"]["seq"] == 5 and proof.json()["entry"]["payload"] is None
    (tmp_path / "proof.json").write_text(proof.text, encoding="utf-8")
    (tmp_path / "key.json").write_text(client.get("/api/v1/ledger/public-key").text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "proof.json"), str(tmp_path / "key.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK: entry 5 record:5/v1")

    # A proof against a key that did not sign the checkpoint fails.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "other.pem").write_bytes(
        other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "proof.json"), str(tmp_path / "other.pem")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "FAIL" in run.stdout


def test_public_endpoints(client: TestClient, db: Database) -> None:
    _fill(db, 4)
    with db.session() as s:
        ledger.append(s, "record.version", "record:5/v1", {})
    cps = client.get("/api/v1/ledger/checkpoints").json()
    assert [(c["id"], c["first_seq"], c["last_seq"]) for c in cps["items"]] == [(1, 1, 4)]
    assert cps["next_after_id"] is None
    key = client.get("/api/v1/ledger/public-key").json()
    assert key["algorithm"] == "Ed25519" and key["key_id"] == cps["items"][0]["key_id"]
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    proof = client.get("/api/v1/ledger/proof/2").json()
    assert _script().check(proof, key["public_key_pem"]) == ""
    assert proof["checkpoint"] == cps["items"][0]

    pending = client.get("/api/v1/ledger/proof/5")
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "ledger_not_checkpointed"
    assert pending.json()["error"]["message_zh"]
    assert client.get("/api/v1/ledger/proof/99").status_code == 404
    assert client.get("/api/v1/ledger/proof", params={"ref": "record:404/v1"}).status_code == 404


# --------------------------------------------------------------- keys


def test_signing_key_is_created_private_and_can_come_from_a_file(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = ledger.public_key_info()
    path = get_settings().var_dir / "ledger_ed25519.pem"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    raw = signing._signing_key()
    assert raw is not None and info["key_id"] == ledger.key_id(raw.public_key())

    monkeypatch.setenv("XINYONG_LEDGER_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ledger.LedgerKeyMissing):
        ledger.public_key_info()
    monkeypatch.setenv("XINYONG_LEDGER_KEY_FILE", str(path))
    assert ledger.public_key_info()["key_id"] == info["key_id"]


def test_rotated_key_still_verifies_old_checkpoints(db: Database) -> None:
    _fill(db, 2)
    var = get_settings().var_dir
    old_id = ledger.public_key_info()["key_id"]
    retired = var / "ledger_retired_keys"
    retired.mkdir()
    (retired / f"{old_id}.pem").write_text(ledger.public_key_info()["public_key_pem"])
    (var / "ledger_ed25519.pem").unlink()
    signing._keys.clear()
    _fill(db, 1)  # signed with a new key
    with db.session() as s:
        ids = [c.key_id for c in ledger.list_checkpoints(s)]
    info = ledger.public_key_info()
    assert ids == [old_id, info["key_id"]] and info["retired"][0]["key_id"] == old_id
    assert _verify(db).ok

    (retired / f"{old_id}.pem").unlink()
    result = _verify(db)
    assert result.first_break is not None and result.first_break.kind == "checkpoint_mismatch"
    assert "unknown signing key" in result.first_break.message


# --------------------------------------------------------------- CLI


def test_cli_verify_checkpoint_and_proof(db: Database) -> None:
    from xinyong.cli import app

    _fill(db, 5, checkpoint=False)
    runner = CliRunner()
    made = runner.invoke(app, ["ledger", "checkpoint"])
    assert made.exit_code == 0 and "seq 1-5" in made.output
    proof = runner.invoke(app, ["ledger", "proof", "3", "--payload"])
    assert proof.exit_code == 0
    assert json.loads(proof.stdout)["entry"]["payload"] == '{"fine":300,"record_id":3,"version":1}'
    # The chain alone: these entries name no real records (the data checks are tests/ledger/test_integrity.py).
    ok = runner.invoke(app, ["ledger", "verify", "--chain-only"])
    assert ok.exit_code == 0, ok.output

    _sql(db, "UPDATE ledger_entries SET payload = :p WHERE seq = 3", p='{"fine":0}')
    broken = runner.invoke(app, ["ledger", "verify", "--chain-only"])
    assert broken.exit_code == 1
    assert "seq 3" in broken.output and "record:3/v1" in broken.output and "payload_changed" in broken.output
    as_json = runner.invoke(app, ["ledger", "verify", "--chain-only", "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["first_break"]["target"] == {"type": "record", "id": "3", "version": 1}


# --------------------------------------------------------------- concurrency


def test_concurrent_writers_keep_one_chain(db: Database) -> None:
    per_thread = 20
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with db.session() as s:
                    if i % 5 == 4:
                        ledger.append_many(
                            s, [("record.version", f"record:{name}{i}/v{j}", {}) for j in (1, 2)]
                        )
                    else:
                        ledger.append(s, "record.version", f"record:{name}{i}/v1", {"by": name})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(db)
    expected = 2 * (per_thread + per_thread // 5)
    assert result.ok and result.entries == expected and result.head_seq == expected


@pytest.mark.skipif(not os.environ.get("XINYONG_TEST_POSTGRES_URL"), reason="needs PostgreSQL")
def test_postgres_head_lock_blocks_a_second_writer(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    first = db.sessionmaker()
    done: list[int] = []

    def second() -> None:
        with db.session() as s:
            done.append(ledger.append(s, "record.version", "record:2/v1", {}).seq)

    t = threading.Thread(target=second)
    try:
        ledger.append(first, "record.version", "record:1/v1", {})  # holds the head lock, not committed
        with db.session() as s:
            assert ledger.checkpoint(s) is None  # checkpoints do not wait for appenders
        t.start()
        t.join(timeout=0.5)
        assert t.is_alive() and done == []  # waiting for the lock rather than forking the chain
        first.commit()
    finally:
        first.close()
        t.join(timeout=10)
    assert done == [2] and _verify(db).ok


def test_canonical_json_fast_path_writes_the_bytes_json_dumps_writes() -> None:
    """Hashes are computed over canonical JSON: the orjson fast path must write exactly what
    ``json.dumps(sort_keys, compact, ensure_ascii=False)`` writes, character for character."""
    import random

    def reference(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x800)] + ["\u2028", "\u2029", "\ufeff", "中", "😀", "\U0010ffff"]

    def text_() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    for _ in range(3000):
        value = {
            text_(): text_(),
            "n": rng.randint(-(2**63), 2**63 - 1),
            "l": [text_(), None, True, False, 0, {text_(): [text_()]}],
        }
        assert ledger.canonical_json(value) == reference(value)
    # Outside the fast path's types the reference itself decides.
    for value in ({"big": 2**70}, {"f": 0.1, "e": 1e16}, {"d": date(2026, 1, 2)}, {"s": "\ud800"}, {1: "a"}):
        try:
            expected = (
                reference(value)
                if "d" not in value
                else json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
            )
        except (TypeError, ValueError):
            continue
        assert ledger.canonical_json(value) == expected
