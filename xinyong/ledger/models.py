"""Tables of the tamper-evident ledger (``xinyong.ledger`` is the only writer).

Entries are never updated or deleted by the platform; ``verify`` detects anyone who does.
The payload is kept as the exact canonical JSON text that was hashed (not JSON/JSONB, which a
store may re-serialise), so the hashes can be recomputed byte for byte.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.core.db import Base, utcnow

# Integer on SQLite so the primary key is the rowid alias; BIGINT elsewhere.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    """One link of the hash chain; ``seq`` is assigned under the head lock, 1, 2, 3 ... without gaps."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerHead(Base):
    """A single row (id 1): the last seq and hash. Writers lock it, so the chain cannot fork,
    and ``verify`` compares it with the last entry, so deleting the tail is detected."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Checkpoint(Base):
    """A signed Merkle root over the entries ``first_seq`` .. ``last_seq`` (contiguous ranges)."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    last_entry_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
