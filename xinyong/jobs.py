"""The daily job (``xinyong tick``): every domain's periodic step, in data-flow order.

Assembled here, beside ``app.py``, because it spans domains: records first (publicity ends,
credit state), then lists (period ends, escalations), evaluation (grades), and finally a signed
ledger checkpoint over everything the run appended. Each step is idempotent and commits on its
own, so a crash part-way is repaired by the next run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xinyong.core import events
from xinyong.core.db import Database
from xinyong.creditstate import consumer as creditstate_consumer


@dataclass
class DailyResult:
    records_ended: int
    state_events: int
    lists_exited: int
    lists_escalated: int
    list_events: int
    evaluation_events: int
    checkpoints: int


def run_daily(db: Database, today: date | None = None) -> DailyResult:
    from xinyong.core import ledger
    from xinyong.creditstate import worker as creditstate_worker
    from xinyong.evaluation import worker as evaluation_worker
    from xinyong.lists import worker as lists_worker

    ended, consumed = creditstate_worker.run_once(db, today)
    lists = lists_worker.run_once(db, today)
    evaluated = evaluation_worker.run_once(db)
    with db.session() as session:
        checkpoints = ledger.checkpoint_pending(session)
    return DailyResult(
        records_ended=ended,
        state_events=consumed,
        lists_exited=lists.exited,
        lists_escalated=lists.escalated,
        list_events=lists.consumed,
        evaluation_events=evaluated,
        checkpoints=len(checkpoints),
    )


def register_consumers() -> None:
    """Have every submission leave the credit states up to date when it returns: ingest (a
    facts-layer domain, below the credit state) calls ``events.catch_up`` after its commit,
    which runs what is registered here. ``xinyong.app.create_app`` and the CLI call this; so do
    the tests and the benchmarks, which call the services directly. Idempotent."""
    events.run_after_commit(creditstate_consumer.CONSUMER, creditstate_consumer.process_events)
