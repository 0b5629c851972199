"""Incremental verify: the mark of the last verified checkpoint.

After a verify that found nothing, the last checkpoint it covered is written to
``var/ledger_verified.json`` (id, last seq, root, last entry hash). ``xinyong ledger verify
--incremental`` then checks the chain from the entry after it (linked to that hash) and the rows
the newer entries name. The mark is trusted only while the checkpoint it names is unchanged in
the store (same root and last entry hash); otherwise the run is a full one. What an incremental
run does NOT re-read (rows edited behind the platform's back without a new entry) is found by
the next full run: docs/security.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.db import utcnow
from xinyong.core.settings import get_settings
from xinyong.ledger.models import Checkpoint

MARK_FILE = "ledger_verified.json"


@dataclass(frozen=True)
class Mark:
    checkpoint_id: int
    last_seq: int
    root: str
    last_entry_hash: str


def mark_path() -> Path:
    return Path(get_settings().var_dir) / MARK_FILE


def read_mark(session: Session, path: Path | None = None) -> Mark | None:
    """The mark, if its checkpoint is still in the store unchanged."""
    path = path or mark_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    mark = Mark(
        int(data["checkpoint_id"]), int(data["last_seq"]), str(data["root"]), str(data["last_entry_hash"])
    )
    cp = session.get(Checkpoint, mark.checkpoint_id)
    if cp is None or (cp.last_seq, cp.root, cp.last_entry_hash) != (
        mark.last_seq,
        mark.root,
        mark.last_entry_hash,
    ):
        return None
    return mark


def write_mark(session: Session, path: Path | None = None) -> Mark | None:
    """Mark the last checkpoint as verified (call only after a verify found nothing)."""
    cp = session.scalars(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)).first()
    if cp is None:
        return None
    path = path or mark_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    mark = Mark(cp.id, cp.last_seq, cp.root, cp.last_entry_hash)
    payload = {**mark.__dict__, "verified_at": utcnow().isoformat()}
    path.write_text(json.dumps(payload, indent=1), "utf-8")
    return mark
