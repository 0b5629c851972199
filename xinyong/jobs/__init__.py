"""The daily job (``xinyong tick``, its command in ``jobs/cli.py``): every domain's periodic
step, in data-flow order.

Assembled here, beside ``app.py``, because it spans domains: first the dates that were computed
on a provisional calendar year and whose notice has since been loaded (list deadlines, feedback
deadlines, timeliness verdicts), then records and the credit state (publicity ends, state rows),
then lists (period ends, escalations), evaluation (grades), and finally a signed ledger checkpoint
over everything the run appended. Each step is idempotent and commits on its own, so a crash
part-way is repaired by the next run. Inside ``xinyong serve`` the first step (provisional dates)
also runs in the background: ``jobs/worker.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xinyong.core import calendar as work_calendar
from xinyong.core import events
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.creditstate import consumer as creditstate_consumer
from xinyong.creditstate import worker as creditstate_worker
from xinyong.evaluation import worker as evaluation_worker
from xinyong.ingest import calendar_recompute as ingest_recompute
from xinyong.ledger import service as ledger
from xinyong.lists import calendar_recompute as lists_recompute
from xinyong.lists import worker as lists_worker
from xinyong.measures import calendar_recompute as measures_recompute
from xinyong.objections import worker as objections_worker
from xinyong.repairs import worker as repairs_worker


@dataclass
class DailyResult:
    records_ended: int
    state_events: int
    lists_exited: int
    lists_escalated: int
    list_events: int
    evaluation_events: int
    checkpoints: int
    deadlines_recomputed: int = 0  # list and feedback deadlines moved after a notice was loaded
    timeliness_recounted: int = 0
    calendar_warning: tuple[str, str] | None = None  # (English, Chinese): next year's notice missing
    repairs_applied: int = 0  # granted credit repairs carried out (publicity ended, list left)
    rights_escalated: int = 0  # overdue objection and repair steps escalated (督办)


def recompute_provisional_dates(db: Database, today: date) -> tuple[int, int]:
    """Recompute what was computed on a provisional year (each domain records its own moves);
    one transaction, so a crash leaves everything marked for the next run. Answers (deadlines
    moved, timeliness verdicts changed)."""
    with db.session() as session:
        moved = lists_recompute.recompute_provisional(session, today)
        moved += measures_recompute.recompute_provisional(session, today)
        recounted = ingest_recompute.recount_provisional(session, today)
        session.commit()
    return len(moved), len(recounted)


def run_daily(db: Database, today: date | None = None) -> DailyResult:
    day = today or today_china()
    moved, recounted = recompute_provisional_dates(db, day)
    with db.session() as session:
        warning = work_calendar.missing_notice_warning(work_calendar.load_calendar(session), day)
    # Granted repairs first: their record events feed the credit state, lists and evaluation below.
    applied, repair_escalations = repairs_worker.run_once(db, day)
    escalated = objections_worker.run_once(db, day) + repair_escalations
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
        deadlines_recomputed=moved,
        timeliness_recounted=recounted,
        calendar_warning=warning,
        repairs_applied=applied,
        rights_escalated=escalated,
    )


def register_consumers() -> None:
    """Have every submission leave the credit states up to date when it returns: ingest (a
    facts-layer domain, below the credit state) calls ``events.catch_up`` after its commit,
    which runs what is registered here. ``xinyong.app.create_app`` and the CLI call this; so do
    the tests and the benchmarks, which call the services directly. Idempotent."""
    events.run_after_commit(creditstate_consumer.CONSUMER, creditstate_consumer.process_events)
