"""An API key's last use (``api_keys.last_used_at``), stamped off the request path.

Resolving a key used to UPDATE its row on the request (once a minute per key): on SQLite that
write waited for whatever held the store's write lock, so during a big ingest every keyed request
failed with "database is locked". Now resolving only notes the time in this process
(``note_use``); a background job of ``xinyong serve`` (``accounts/worker.py``) writes the noted
stamps in one short transaction every ``api_key_last_use_seconds`` (``flush``). A key's row is
written at most once per run of the job, and only when its stored stamp is a minute old or older,
so ``last_used_at`` is exact to about a minute (the precision staff see in the key list). A
stamp noted in a process that stops before the next run is lost (at most one interval).

The UPDATE goes through a connection, not the ORM, so it does not empty the API key cache
(``api_keys._generation`` counts ORM changes to the account tables).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, or_, update
from sqlalchemy.orm import Session

from xinyong.accounts.models import ApiKey
from xinyong.core.db import Database

# The stamp's precision: a key whose stored stamp is younger is not noted again.
PRECISION = timedelta(minutes=1)
_KEYS = cast(Table, ApiKey.__table__)
_lock = threading.Lock()
# store (id of its engine) -> key id -> time of its latest use noted here
_pending: dict[int, dict[int, datetime]] = {}


def _store(session: Session) -> int:
    bind = session.get_bind()
    return id(getattr(bind, "engine", bind))


def note_use(session: Session, key_id: int, stored: datetime | None, now: datetime) -> None:
    """Remember that key ``key_id`` was used at ``now`` (no write). ``stored``: its stamp in the
    store, timezone-aware."""
    if stored is not None and now - stored < PRECISION:
        return
    with _lock:
        noted = _pending.setdefault(_store(session), {})
        if key_id not in noted or noted[key_id] < now:
            noted[key_id] = now


def pending(db: Database) -> dict[int, datetime]:
    """The stamps noted for ``db`` and not yet written (a copy)."""
    with _lock:
        return dict(_pending.get(id(db.engine), {}))


def flush(db: Database) -> int:
    """Write the noted stamps in one short transaction; returns how many keys. On failure the
    stamps are kept for the next run (newest wins)."""
    with _lock:
        batch = _pending.pop(id(db.engine), {})
    if not batch:
        return 0
    stmt = (
        update(_KEYS)
        .where(_KEYS.c.id == bindparam("key_id"))
        .where(or_(_KEYS.c.last_used_at.is_(None), _KEYS.c.last_used_at < bindparam("at")))
        .values(last_used_at=bindparam("at"))
    )
    try:
        with db.engine.begin() as conn:
            conn.execute(stmt, [{"key_id": k, "at": at} for k, at in sorted(batch.items())])
    except Exception:
        with _lock:
            kept = _pending.setdefault(id(db.engine), {})
            for k, at in batch.items():
                if k not in kept or kept[k] < at:
                    kept[k] = at
        raise
    return len(batch)
