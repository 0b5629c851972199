"""The demo build ends with its data under signed checkpoints: the credit states caught up
with every event (list seeding emits some), the query log sealed, every entry checkpointed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from xinyong.core.db import utcnow
from xinyong.creditstate import consumer as creditstate_consumer
from xinyong.ledger import service as ledger
from xinyong.querylog import seals as querylog_seals


def finish(session: Session) -> int:
    """Catch up, seal, checkpoint and commit; returns how many checkpoints were signed."""
    while creditstate_consumer.process_events(session):
        session.commit()
    # The build is the store's only writer: every row it logged has settled, seal them all.
    querylog_seals.seal(session, now=utcnow() + timedelta(seconds=querylog_seals.SETTLE_SECONDS))
    made = ledger.checkpoint_pending(session)
    session.commit()
    return len(made)
