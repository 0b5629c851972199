"""Seals of the query log: its rows, range by range, under the ledger.

A seal is a ``query_log.seal`` ledger entry over the rows with ids ``first_id`` .. ``last_id``:
their count, the oldest and newest ``logged_at``, and the RFC 6962 Merkle root over each row's
hash (SHA-256 of the canonical JSON of every column). Seals follow each other without gaps, so
the log is chained through the ledger: a row deleted or edited after its seal changes the
count or the root. A retention purge seals first and is itself a ledger entry with its cutoff
and count (``service.purge``), so the rows it removes are accounted for.

Rows newer than :data:`SETTLE_SECONDS` are left for the next seal: on PostgreSQL ids come from a
sequence, and a slower transaction can commit a smaller id after a larger one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from xinyong.core.db import utcnow
from xinyong.ledger import service as ledger
from xinyong.ledger.integrity import latest_entry
from xinyong.querylog.models import QueryLogEntry

SEAL_KIND = "query_log.seal"
SETTLE_SECONDS = 60
MAX_SEAL_ROWS = 100_000
_TABLE = cast(Table, QueryLogEntry.__table__)
COLUMNS = tuple(c.name for c in _TABLE.columns)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def row_hash(row: Any) -> str:
    """SHA-256 of the canonical JSON of one row's columns, in table order."""
    values = [row._mapping[name] for name in COLUMNS]
    return hashlib.sha256(ledger.canonical_json(values).encode("utf-8")).hexdigest()


@dataclass
class Seal:
    seq: int
    first_id: int
    last_id: int
    count: int


def seal(session: Session, *, now: datetime | None = None, max_rows: int = MAX_SEAL_ROWS) -> list[Seal]:
    """Seal the rows not yet sealed (older than :data:`SETTLE_SECONDS`); several seals when
    there are many. In the caller's transaction; returns the seals made."""
    ledger.lock_head(session)  # one sealer at a time: the last seal is read, then extended
    settled = _utc(now or utcnow()) - timedelta(seconds=SETTLE_SECONDS)
    last = latest_entry(session, SEAL_KIND)
    after = int(last.payload["last_id"]) if last else 0
    made: list[Seal] = []
    while True:
        rows = list(
            session.execute(select(_TABLE).where(_TABLE.c.id > after).order_by(_TABLE.c.id).limit(max_rows))
        )
        # Stop at the first row that has not settled: a seal's range holds every row in it.
        for i, r in enumerate(rows):
            if _utc(r.logged_at) >= settled:
                rows = rows[:i]
                break
        if not rows:
            return made
        stamps = [_utc(r.logged_at) for r in rows]
        payload = {
            "first_id": after + 1,
            "last_id": int(rows[-1].id),
            "count": len(rows),
            "oldest": min(stamps).isoformat(),
            "newest": max(stamps).isoformat(),
            "root": ledger.merkle_root([row_hash(r) for r in rows]),
        }
        entry = ledger.append(session, SEAL_KIND, f"query_log:{after + 1}-{rows[-1].id}", payload)
        made.append(Seal(entry.seq, after + 1, int(rows[-1].id), len(rows)))
        after = int(rows[-1].id)
