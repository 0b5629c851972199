"""Appending to the hash chain under the head lock, and checking one entry against its hashes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from xinyong.core.bulk import insert_rows
from xinyong.core.db import utcnow
from xinyong.core.errors import InvalidInput
from xinyong.ledger.hashing import GENESIS_HASH, _entry_hash, _sha256, _ts, canonical_json
from xinyong.ledger.models import LedgerEntry, LedgerHead

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_REF_RE = re.compile(r"^\S{1,200}$")
_HEAD = cast(Table, LedgerHead.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)


# ---------------------------------------------------------------- appending


def _lock_head(session: Session) -> tuple[int, str]:
    """Serialise writers on the head row and return (last seq, last entry hash)."""
    table = _HEAD
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        locked = select(table.c.seq, table.c.entry_hash).where(table.c.id == 1).with_for_update()
        row = session.execute(locked).first()
        if row is None:
            session.execute(
                pg_insert(table)
                .values(id=1, seq=0, entry_hash=GENESIS_HASH, updated_at=now)
                .on_conflict_do_nothing(index_elements=["id"])
            )
            row = session.execute(locked).one()
    else:
        # A write is what takes SQLite's database lock; it is held until commit.
        result = cast(
            CursorResult[Any],
            session.execute(update(table).where(table.c.id == 1).values(updated_at=now)),
        )
        if result.rowcount == 0:
            session.execute(insert(table).values(id=1, seq=0, entry_hash=GENESIS_HASH, updated_at=now))
        row = session.execute(select(table.c.seq, table.c.entry_hash).where(table.c.id == 1)).one()
    return int(row.seq), str(row.entry_hash)


def lock_head(session: Session) -> int:
    """Take the ledger's write lock in the caller's transaction (held until it ends) and return
    the head seq: a writer that must read-then-append without a race (a query-log seal) calls
    this first."""
    return _lock_head(session)[0]


def _prepare(kind: str, ref: str, payload: dict[str, Any]) -> tuple[str, str, str, str]:
    if not isinstance(kind, str) or len(kind) > 64 or not _KIND_RE.match(kind):
        raise InvalidInput(
            "Ledger kind must be dotted lower-case, e.g. record.version",
            "账本条目类型须为小写点分形式，如 record.version",
            field="kind",
            value=kind,
        )
    if not isinstance(ref, str) or not _REF_RE.match(ref):
        raise InvalidInput(
            "Ledger ref must be 1-200 characters without spaces, e.g. record:123/v2",
            "账本条目引用须为 1-200 个非空白字符，如 record:123/v2",
            field="ref",
            value=ref,
        )
    if not isinstance(payload, dict):
        raise InvalidInput("Ledger payload must be an object", "账本载荷须为对象", field="payload")
    try:
        text = canonical_json(payload)
        digest = _sha256(text.encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"Ledger payload is not canonical JSON: {exc}",
            "账本载荷无法转为规范 JSON",
            field="payload",
            rule="canonical_json",
        ) from exc
    return kind, ref, text, digest


def _write(session: Session, prepared: list[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    seq, prev = _lock_head(session)
    now = utcnow()
    stamp = _ts(now)
    rows: list[dict[str, Any]] = []
    for kind, ref, text, payload_hash in prepared:
        seq += 1
        entry_hash = _entry_hash(seq, kind, ref, payload_hash, prev, stamp)
        rows.append(
            {
                "seq": seq,
                "kind": kind,
                "ref": ref,
                "payload": text,
                "payload_hash": payload_hash,
                "prev_hash": prev,
                "entry_hash": entry_hash,
                "created_at": now,
            }
        )
        prev = entry_hash
    table = _HEAD
    session.execute(update(table).where(table.c.id == 1).values(seq=seq, entry_hash=prev, updated_at=now))
    return rows


def append(session: Session, kind: str, ref: str, payload: dict[str, Any]) -> LedgerEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change)."""
    prepared = [_prepare(kind, ref, payload)]
    (row,) = _write(session, prepared)
    entry = LedgerEntry(**row)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Batch:
    """What :func:`append_many` wrote: item ``i`` of the input got seq ``first_seq + i``."""

    first_seq: int
    last_seq: int
    last_entry_hash: str

    @property
    def count(self) -> int:
        return 0 if self.last_seq < self.first_seq else self.last_seq - self.first_seq + 1


def append_many(session: Session, items: Iterable[tuple[str, str, dict[str, Any]]]) -> Batch:
    """Append many ``(kind, ref, payload)`` entries under one lock with one bulk insert."""
    prepared = [_prepare(kind, ref, payload) for kind, ref, payload in items]
    if not prepared:
        seq, head = _lock_head(session)
        return Batch(first_seq=seq + 1, last_seq=seq, last_entry_hash=head)
    rows = _write(session, prepared)
    insert_rows(session, _ENTRIES, rows)
    return Batch(first_seq=rows[0]["seq"], last_seq=rows[-1]["seq"], last_entry_hash=rows[-1]["entry_hash"])


# ---------------------------------------------------------------- checking one entry

_ENTRY_COLUMNS = (
    LedgerEntry.seq,
    LedgerEntry.kind,
    LedgerEntry.ref,
    LedgerEntry.payload,
    LedgerEntry.payload_hash,
    LedgerEntry.prev_hash,
    LedgerEntry.entry_hash,
    LedgerEntry.created_at,
)


def _recomputed(row: Any, seq: int | None = None) -> str:
    return _entry_hash(
        row.seq if seq is None else seq,
        row.kind,
        row.ref,
        row.payload_hash,
        row.prev_hash,
        _ts(row.created_at),
    )


def _entry_problem(row: Any) -> str | None:
    """``payload_changed`` / ``entry_changed`` when the row no longer matches its own hashes."""
    if _sha256(row.payload.encode("utf-8")) != row.payload_hash:
        return "payload_changed"
    if _recomputed(row) != row.entry_hash:
        return "entry_changed"
    return None


def _read_head(session: Session) -> tuple[int, str] | None:
    row = session.execute(select(LedgerHead.seq, LedgerHead.entry_hash).where(LedgerHead.id == 1)).first()
    return (int(row.seq), str(row.entry_hash)) if row else None
