"""Mirrors of the public checkpoints see a rewritten or rolled-back ledger; backup and restore
keep the ledger head and the keys; after a restore from an older backup, ``verify --mirror``
says the store was rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from xinyong.core.db import Database, make_engine
from xinyong.core.settings import reset_settings
from xinyong.ledger import backup as backup_mod
from xinyong.ledger import mirror
from xinyong.ledger import service as ledger
from xinyong.ledger.hashing import _entry_hash, _sha256, _ts, canonical_json
from xinyong.ledger.models import Checkpoint, LedgerEntry, LedgerHead


def _append(db: Database, n: int, start: int = 0) -> None:
    with db.session() as s:
        for i in range(start, start + n):
            ledger.append(s, "test.note", f"note:{i}", {"n": i})


def _checkpoint(db: Database) -> None:
    with db.session() as s:
        ledger.checkpoint_pending(s)


def _fetch(client: TestClient) -> mirror.Fetch:
    def fetch(path: str) -> Any:
        resp = client.get(path)
        assert resp.status_code == 200, resp.text
        return resp.json()

    return fetch


def _rewrite_from(db: Database, first: int) -> None:
    """What an insider with the store and the signing key does: change entry ``first``,
    recompute every hash after it, and sign the checkpoints again."""
    with db.session() as s:
        rows = list(s.scalars(select(LedgerEntry).where(LedgerEntry.seq >= first).order_by(LedgerEntry.seq)))
        prev = s.scalar(select(LedgerEntry.entry_hash).where(LedgerEntry.seq == first - 1))
        for row in rows:
            if row.seq == first:
                row.payload = canonical_json({"n": -1})
                row.payload_hash = _sha256(row.payload.encode())
            row.prev_hash = prev
            row.entry_hash = _entry_hash(
                row.seq, row.kind, row.ref, row.payload_hash, prev, _ts(row.created_at)
            )
            prev = row.entry_hash
        s.execute(update(LedgerHead).where(LedgerHead.id == 1).values(entry_hash=prev))
        s.execute(text("DELETE FROM ledger_checkpoints"))
    _checkpoint(db)


def test_mirror_holds_checkpoints_and_sees_a_rewrite(
    db: Database, client: TestClient, tmp_path: Path
) -> None:
    _append(db, 5)
    _checkpoint(db)
    fetch = _fetch(client)
    first = mirror.mirror(fetch, tmp_path / "m")
    assert (first.held, first.added, first.last_seq) == (1, 1, 5)
    _append(db, 3, start=5)
    _checkpoint(db)
    second = mirror.mirror(fetch, tmp_path / "m")
    assert (second.held, second.added, second.last_seq) == (2, 1, 8)
    assert mirror.mirror(fetch, tmp_path / "m").added == 0

    _rewrite_from(db, 3)
    with db.session() as s:
        assert ledger.verify(s).ok  # the store alone cannot tell: the chain was recomputed
    with pytest.raises(mirror.MirrorError) as err:
        mirror.mirror(fetch, tmp_path / "m")
    assert "rewritten" in err.value.message and "checkpoint 1" in err.value.message


def test_mirror_sees_a_rollback(db: Database, client: TestClient, tmp_path: Path) -> None:
    _append(db, 4)
    _checkpoint(db)
    _append(db, 2, start=4)
    _checkpoint(db)
    mirror.mirror(_fetch(client), tmp_path / "m")
    with db.session() as s:
        s.execute(text("DELETE FROM ledger_checkpoints WHERE id = 2"))
    with pytest.raises(mirror.MirrorError) as err:
        mirror.mirror(_fetch(client), tmp_path / "m")
    assert "rolled back" in err.value.message and "回滚" in err.value.message_zh


def test_mirror_refuses_a_forged_signature(db: Database, client: TestClient, tmp_path: Path) -> None:
    _append(db, 3)
    _checkpoint(db)
    with db.session() as s:
        s.execute(update(Checkpoint).values(root="0" * 64))
    with pytest.raises(mirror.MirrorError, match="invalid signature"):
        mirror.mirror(_fetch(client), tmp_path / "m")


def test_mirror_command_exits_1_on_a_rollback(
    db: Database, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.cli import app

    _append(db, 3)
    _checkpoint(db)
    monkeypatch.setattr(mirror, "http_fetch", lambda url: _fetch(client))
    runner = CliRunner()
    ok = runner.invoke(app, ["ledger", "mirror", "http://platform", str(tmp_path / "m")])
    assert ok.exit_code == 0 and "1 checkpoints held" in ok.output
    with db.session() as s:
        s.execute(text("DELETE FROM ledger_checkpoints"))
    bad = runner.invoke(app, ["ledger", "mirror", "http://platform", str(tmp_path / "m")])
    assert bad.exit_code == 1 and "镜像校验失败" in bad.output


def _schema(db: Database) -> str:
    if db.dialect != "postgresql":
        return ""
    with db.engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def _empty(db: Database) -> None:
    from tests.conftest import _truncate_postgres

    _truncate_postgres(db)


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XINYONG_VAR_DIR", str(tmp_path / "var"))
    reset_settings()
    yield tmp_path / "var"
    monkeypatch.undo()
    reset_settings()


def test_backup_restore_same_head_and_keys(db: Database, tmp_path: Path, var_dir: Path) -> None:
    _append(db, 6)
    _checkpoint(db)  # creates the signing key under var/
    with db.session() as s:
        head = s.get(LedgerHead, 1)
        assert head is not None
        want = (head.seq, head.entry_hash)
    schema = _schema(db)
    result = backup_mod.backup(db.engine, tmp_path / "bk", schema=schema)
    assert result.head_seq == 6 and "keys/ledger_ed25519.pem" in result.files

    with pytest.raises(Exception, match="already holds data"):
        backup_mod.restore(db.engine, tmp_path / "bk", schema=schema)

    # Restore into an empty store, with the keys gone from var/ (a new machine).
    (var_dir / "ledger_ed25519.pem").unlink()
    if db.dialect == "postgresql":
        _empty(db)
        target = db
    else:
        target = Database(make_engine(url=f"sqlite:///{tmp_path / 'restored.db'}", schema=""))
    restored = backup_mod.restore(target.engine, tmp_path / "bk", schema=schema)
    assert restored.head_seq == 6 and any(p.endswith("ledger_ed25519.pem") for p in restored.keys_restored)
    with target.session() as s:
        head = s.get(LedgerHead, 1)
        assert head is not None and (head.seq, head.entry_hash) == want
        result2 = ledger.verify(s)
        assert result2.ok and result2.checkpoints == 1  # the restored key verifies the old checkpoint
    if target is not db:
        target.engine.dispose()


def test_verify_after_restoring_an_older_backup_says_rolled_back(
    db: Database, client: TestClient, tmp_path: Path
) -> None:
    from xinyong.cli import app

    _append(db, 3)
    _checkpoint(db)
    mirror.mirror(_fetch(client), tmp_path / "m")
    held = mirror.held_checkpoints(tmp_path / "m")
    assert mirror.compare_head(held, 3) is None
    said = mirror.compare_head(held, 2)
    assert said is not None and said["message"] == "restored store ends at seq 2; checkpoints reach seq 3"

    _append(db, 2, start=3)
    _checkpoint(db)
    mirror.mirror(_fetch(client), tmp_path / "m")
    # The store goes back to seq 3 (an older backup): entries and checkpoint 2 are gone.
    with db.session() as s:
        first = s.scalar(select(LedgerEntry.entry_hash).where(LedgerEntry.seq == 3))
        s.execute(text("DELETE FROM ledger_checkpoints WHERE id = 2"))
        s.execute(text("DELETE FROM ledger_entries WHERE seq > 3"))
        s.execute(update(LedgerHead).values(seq=3, entry_hash=first))
    out = CliRunner().invoke(app, ["ledger", "verify", "--chain-only", "--mirror", str(tmp_path / "m")])
    assert out.exit_code == 1
    assert "restored store ends at seq 3; checkpoints reach seq 5" in out.output
