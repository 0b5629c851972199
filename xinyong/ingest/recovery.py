"""Crash recovery of submissions applied in chunks.

A big submission commits batch by batch with the status ``applying`` and a hold on the outbox
(``core.events.hold``), so nothing derived from it shows until its last commit. If its process
dies half-way, the committed batches stay and the submission stays ``applying``. ``recover``
finishes every such submission whose process is gone: it re-reads the staged input
(``staging.py``), validates the rows already committed again (without writing them) and applies
the rest, in chunks, then releases the hold in its final commit. The result is what one
uninterrupted run would have stored, and re-sending the same input afterwards changes nothing
(every row comes out ``unchanged``).

Run by ``xinyong serve`` when it starts and then every minute (``ingest/worker.py``), before each
``xinyong ingest``, and by ``xinyong ingest-recover``. A submission another live process is
applying is left alone (its staged input is locked). One whose staged input is gone cannot be
finished: it is closed as ``failed`` (its committed rows stay, counted) and its hold released.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog.service import get_catalog
from xinyong.core.errors import DomainError, InvalidInput
from xinyong.core.events import holds, release
from xinyong.ingest import staging
from xinyong.ingest.models import Submission
from xinyong.ingest.rows import _INLINE_PROBLEMS, _ingest_rows
from xinyong.ingest.submission import (
    _abandon,
    _chunk_committer,
    _fewer_collections,
    _open_staged,
    _PageCache,
    _process_events,
    _receipt,
)
from xinyong.ingest.validation import RowValidator
from xinyong.ingest.views import SubmissionResult

log = logging.getLogger("xinyong.ingest.recovery")


def applying(session: Session) -> list[str]:
    """Ids of the submissions now ``applying`` (being applied, or interrupted)."""
    return list(
        session.scalars(
            select(Submission.id).where(Submission.status == "applying").order_by(Submission.received_at)
        )
    )


def recover(session: Session) -> list[SubmissionResult]:
    """Finish every interrupted submission (see the module docstring); returns their results.
    Commits the session."""
    out: list[SubmissionResult] = []
    ids = applying(session)
    # A hold whose submission is no longer applying (it cannot happen by the code above, but a
    # hold left behind would stop every consumer): released.
    stray = [owner for owner in holds(session) if owner not in ids]
    for owner in stray:
        release(session, owner)
    session.commit()
    staging.sweep(set(ids))
    for sub_id in ids:
        staged = staging.find(sub_id)
        if staged is None:
            if staging.is_live(sub_id):
                continue  # another process is applying it
            sub = session.get(Submission, sub_id)
            if sub is None or sub.status != "applying":
                continue
            log.error("submission %s was interrupted and its staged input is gone", sub_id)
            _abandon(
                session,
                sub_id,
                InvalidInput(
                    "The submission was interrupted and its staged input is missing; resend it",
                    "提交处理中断且暂存的原始数据已丢失，请重新提交",
                    code="ingest.recovery_input_missing",
                    submission_id=sub_id,
                ),
            )
            continue
        try:
            result = _resume(session, sub_id, staged)
        finally:
            staged.release()
        if result is not None:
            staged.discard()
            out.append(result)
    return out


def _resume(session: Session, sub_id: str, staged: staging.Staged) -> SubmissionResult | None:
    session.expire_all()
    sub = session.get(Submission, sub_id)
    if sub is None or sub.status != "applying":  # finished meanwhile by its own process
        session.commit()
        return None
    catalog = get_catalog()
    item = catalog.item(sub.item_code)
    _, received_on = _receipt(sub.received_at)
    validator = RowValidator(catalog, item, today=received_on)
    skip = sub.rows_total
    log.warning("resuming submission %s after row %d", sub_id, skip)
    cache = _PageCache(session)
    with _fewer_collections():
        try:
            table = _open_staged(staged, sub.filename, validator, sub.file_format)
        except DomainError as exc:  # the staged file itself is unreadable: cannot be finished
            session.rollback()
            _abandon(session, sub_id, exc)
            return None
        try:
            cache.grow()
            result = _ingest_rows(
                session,
                sub,
                item,
                catalog,
                validator,
                table,
                received_on,
                None,
                chunk_commit=_chunk_committer(session, cache),
                skip=skip,
            )
            release(session, sub_id)
            cache.shrink()
            session.commit()
        except DomainError as exc:
            session.rollback()
            _abandon(session, sub_id, exc)
            return None
        except BaseException:
            session.rollback()
            raise
        finally:
            table.close()
    _process_events(session)
    result.problems = result.problems[:_INLINE_PROBLEMS]
    log.warning("submission %s finished by recovery: %d rows", sub_id, result.rows_total)
    return result
