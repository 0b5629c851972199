"""The daily job (``xinyong tick``, its command in ``jobs/cli.py``): every domain's periodic
step, in data-flow order.

Assembled here, beside ``app.py``, because it spans domains: first the dates that were computed
on a provisional calendar year and whose notice has since been loaded (list deadlines, feedback
deadlines, timeliness verdicts), then records and the credit state (publicity ends, state rows),
then lists (period ends, escalations), evaluation (grades), the 政务失信 notices, last month's
data-quality scorecards (once a month), and finally a signed ledger checkpoint
over everything the run appended. Each step is idempotent and commits on its own, so a crash
part-way is repaired by the next run. Inside ``xinyong serve`` the first step (provisional dates)
also runs in the background: ``jobs/worker.py``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from xinyong.commitments import service as commitments_service
from xinyong.core import calendar as work_calendar
from xinyong.core import events, months
from xinyong.core.clock import today_china
from xinyong.core.db import Database
from xinyong.creditstate import consumer as creditstate_consumer
from xinyong.creditstate import worker as creditstate_worker
from xinyong.declarations import service as declarations_service
from xinyong.evaluation import worker as evaluation_worker
from xinyong.government import service as government_service
from xinyong.ingest import calendar_recompute as ingest_recompute
from xinyong.jobs.integrity import checkpoint_if_due, seal_and_checkpoint
from xinyong.lists import calendar_recompute as lists_recompute
from xinyong.lists import service as lists_service
from xinyong.lists import worker as lists_worker
from xinyong.measures import calendar_recompute as measures_recompute
from xinyong.objections import worker as objections_worker
from xinyong.quality import service as quality_service
from xinyong.records import amend as records_amend
from xinyong.records import retention as records_retention
from xinyong.repairs import worker as repairs_worker
from xinyong.subjects import service as subjects_service


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
    government_events: int = 0  # outbox events the 政务失信通报 consumer read
    quality_scorecards: int = 0  # last month's scorecards published by this run (0: already were)
    repairs_applied: int = 0  # granted credit repairs carried out (publicity ended, list left)
    rights_escalated: int = 0  # overdue objection, repair, commitment and declaration steps escalated (督办)
    records_purged: int = 0  # negative records past the retention period (records.retention)
    records_kept_while_listed: int = 0


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
    with db.session() as session:
        escalated += commitments_service.escalate(session, day) + declarations_service.escalate(session, day)
        session.commit()
    purged = purge_expired_records(db, day)
    ended, consumed = creditstate_worker.run_once(db, today)
    lists = lists_worker.run_once(db, today)
    evaluated = evaluation_worker.run_once(db)
    notified = 0
    with db.session() as session:
        while n := government_service.process_events(session):
            notified += n
            session.commit()
        session.commit()
    # Last month's data-quality scorecards, published (stored, pushed to each department) once.
    with db.session() as session:
        last_month = months.shift(months.month_of_day(day), -1)
        scorecards = 0
        if not quality_service.stored_month(session, last_month):
            scorecards = len(quality_service.publish_month(session, last_month))
            session.commit()
    with db.session() as session:
        checkpoints = seal_and_checkpoint(session)
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
        government_events=notified,
        quality_scorecards=scorecards,
        repairs_applied=applied,
        rights_escalated=escalated,
        records_purged=purged.purged,
        records_kept_while_listed=purged.kept_while_listed,
    )


def purge_expired_records(db: Database, today: date) -> records_retention.PurgeResult:
    """Retention: purge negative records past their retention period (one transaction); a
    subject still on a published black list keeps them (the lists domain answers which)."""

    def black_listed(subject_ids: Iterable[int]) -> set[int]:
        entries = lists_service.memberships(session, sorted(subject_ids))
        return {
            sid
            for sid, rows in entries.items()
            if any(e.get("kind") == "black" and e.get("published") for e in rows)
        }

    with db.session() as session:
        result = records_retention.purge_expired(session, today, black_listed=black_listed)
        session.commit()
    return result


def register_consumers() -> None:
    """Have every submission leave the credit states up to date when it returns: ingest (a
    facts-layer domain, below the credit state) calls ``events.catch_up`` after its commit,
    which runs what is registered here. ``xinyong.app.create_app`` and the CLI call this; so do
    the tests and the benchmarks, which call the services directly. Idempotent."""
    events.run_after_commit(creditstate_consumer.CONSUMER, creditstate_consumer.process_events)
    # A 重错码 merge moves the merged subject's records (subjects sit below records).
    subjects_service.register_record_mover(records_amend.reassign_subject)
    # 政务失信通报: a negative record naming a public body or one of its officials.
    events.run_after_commit(government_service.CONSUMER, government_service.process_events)
    # Last: a submission that leaves many entries uncovered is checkpointed right away.
    events.run_after_commit("ledger_checkpoint", checkpoint_if_due)
