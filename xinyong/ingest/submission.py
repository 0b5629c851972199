"""Ingest submissions (归集): rows by API batch and files, run in one transaction; submission reads.

A submission is all-or-nothing at the storage level: its Submission row, every per-row result,
every quarantined row and every record version commit in ONE transaction (``submit`` commits the
session it is given). Re-sending the same rows is a no-op (records answer ``unchanged``), so a
re-run after a crash (``kill -9``) converges to the same final state. After the commit the outbox
is processed so each subject's credit state is current.
"""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.accounts.views import ProviderInfo
from xinyong.catalog.service import get_catalog
from xinyong.core.calendar import NOTICE
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import utcnow
from xinyong.core.errors import DomainError, InvalidInput, NotFound
from xinyong.core.events import catch_up
from xinyong.core.settings import get_settings
from xinyong.ingest.models import Submission, SubmissionRow
from xinyong.ingest.parsing import Table, batch_table, file_error, open_table
from xinyong.ingest.rows import _INLINE_PROBLEMS, ProgressCallback, _ingest_rows, _result
from xinyong.ingest.validation import RowValidator
from xinyong.ingest.views import Page, RowResult, SubmissionResult

log = logging.getLogger("xinyong.ingest")

CHANNELS = ("api", "file", "resubmit")
ACCEPTED = ("created", "corrected", "withdrawn", "unchanged")


def _receipt(received_at: datetime | None) -> tuple[datetime, date]:
    at = received_at or utcnow()
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at, at.astimezone(CHINA_TZ).date()


def submit(
    session: Session,
    provider: ProviderInfo | str | int,
    item_code: str,
    rows: Iterable[Mapping[str, Any]] | Table,
    channel: str = "api",
    filename: str | None = None,
    *,
    received_at: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> SubmissionResult:
    """Validate and store rows (``{header: value}``; headers may be national codes, Xinyong codes or
    Chinese names). Commits the session; see the module docstring."""
    table = rows if isinstance(rows, Table) else batch_table(rows)
    return _run(session, provider, item_code, table, channel, filename, received_at, progress)


def submit_file(
    session: Session,
    provider: ProviderInfo | str | int,
    item_code: str,
    stream: IO[bytes],
    filename: str | None,
    *,
    file_format: str | None = None,
    channel: str = "file",
    received_at: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> SubmissionResult:
    """A CSV (UTF-8/GBK/GB18030), XLSX, JSONL or JSON file. A file-level problem (encoding, empty,
    missing required columns, too large, too many rows) is recorded as a failed submission and
    raised; row problems go to quarantine."""

    def opener(validator: RowValidator) -> Table:
        return open_table(
            stream,
            filename=filename,
            resolve=validator.resolve,
            max_bytes=get_settings().max_upload_bytes,
            file_format=file_format,
        )

    return _run(session, provider, item_code, opener, channel, filename, received_at, progress)


# Young-generation collections during a submission: at most one per this many allocations.
_GC_THRESHOLD = (50_000, 50, 1_000)
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A submission allocates a few dozen short-lived objects per row and keeps a growing
    working set (caches, pending ledger entries): with the interpreter's default thresholds
    (700, 10, 10) the cyclic collector ran so often over that working set that it cost about a
    fifth of ingest's CPU time. While any submission runs, collections run at most as often as
    in a serving process (``xinyong.app._tune_gc``); the previous thresholds come back when the
    last one ends. Nothing is disabled: cycles are still collected."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            current = gc.get_threshold()
            _gc_saved = current
            gc.set_threshold(*(max(a, b) for a, b in zip(current, _GC_THRESHOLD, strict=True)))
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
                _gc_saved = None


@contextmanager
def _larger_page_cache(session: Session) -> Iterator[None]:
    """SQLite: a larger page cache for the submission's connection while it writes (setting
    ``sqlite_ingest_cache_bytes``), set back before the transaction ends (the connection then
    returns to the pool with its usual cache)."""
    size = get_settings().sqlite_ingest_cache_bytes
    if size <= 0 or session.get_bind().dialect.name != "sqlite":
        yield
        return
    conn = session.connection()
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(size) // 1024}")
    try:
        yield
    finally:
        try:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(previous or -2000)}")
        except Exception:  # the connection broke with the submission: the pool discards it
            log.debug("could not set the page cache back", exc_info=True)


def _run(
    session: Session,
    provider: ProviderInfo | str | int,
    item_code: str,
    source: Table | Callable[[RowValidator], Table],
    channel: str,
    filename: str | None,
    received_at: datetime | None,
    progress: ProgressCallback | None,
    on_done: Callable[[Session, SubmissionResult], None] | None = None,
) -> SubmissionResult:
    with _fewer_collections():
        return _run_submission(
            session, provider, item_code, source, channel, filename, received_at, progress, on_done
        )


def _run_submission(
    session: Session,
    provider: ProviderInfo | str | int,
    item_code: str,
    source: Table | Callable[[RowValidator], Table],
    channel: str,
    filename: str | None,
    received_at: datetime | None,
    progress: ProgressCallback | None,
    on_done: Callable[[Session, SubmissionResult], None] | None,
) -> SubmissionResult:
    if channel not in CHANNELS:
        raise InvalidInput(
            f"Unknown channel {channel!r}", "未知的提交渠道", code="ingest.channel", value=channel
        )
    catalog = get_catalog()
    item = catalog.item(item_code)  # NotFound catalog.unknown_item
    p = accounts_service.get_provider(session, provider)
    accounts_service.ensure_may_submit(session, p, item)
    provider_id = p.id
    at, received_on = _receipt(received_at)
    validator = RowValidator(catalog, item, today=received_on)
    sub_id = str(uuid.uuid4())
    table: Table | None = source if isinstance(source, Table) else None
    try:
        if table is None:
            assert not isinstance(source, Table)
            table = source(validator)
        sub = Submission(
            id=sub_id,
            provider_id=provider_id,
            item_code=item.code,
            channel=channel,
            filename=filename,
            file_format=table.format,
            encoding=table.encoding,
            content_hash=table.content_hash,
            status="received",
            received_at=at,
            errors=[],
            warnings=[],
        )
        if table.headers is not None:
            missing = validator.missing_required(table.headers)
            if missing:
                names = [f.name_zh for f in missing]
                raise file_error(
                    "ingest.missing_columns",
                    "Required columns are missing: " + ", ".join(f.code for f in missing),
                    "缺少必填列：" + "、".join(names),
                    columns=[{"field": f.code, "name_zh": f.name_zh} for f in missing],
                )
        session.add(sub)
        session.flush()
        with _larger_page_cache(session):
            result = _ingest_rows(session, sub, item, catalog, validator, table, received_on, progress)
            if on_done is not None:
                on_done(session, result)
        session.commit()
    except DomainError as exc:
        session.rollback()
        if exc.code in ("catalog.unknown_item", "ingest.item_not_allowed"):
            raise
        fmt = table.format if table is not None else None
        enc = table.encoding if table is not None else None
        digest = table.content_hash if table is not None else None
        exc.details["submission_id"] = _record_failure(
            session, sub_id, provider_id, item.code, channel, filename, fmt, enc, digest, at, exc
        )
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        if table is not None:
            table.close()
    _process_events(session)
    result.problems = result.problems[:_INLINE_PROBLEMS]
    return result


def _record_failure(
    session: Session,
    sub_id: str,
    provider_id: int,
    item_code: str,
    channel: str,
    filename: str | None,
    fmt: str | None,
    encoding: str | None,
    digest: str | None,
    at: datetime,
    exc: DomainError,
) -> str:
    """A rejected file is kept as a failed submission with the reason: nothing disappears silently."""
    details = {k: v for k, v in exc.details.items() if k != "submission_id"}
    session.add(
        Submission(
            id=sub_id,
            provider_id=provider_id,
            item_code=item_code,
            channel=channel,
            filename=filename,
            file_format=fmt,
            encoding=encoding,
            content_hash=digest,
            status="failed",
            received_at=at,
            finished_at=utcnow(),
            errors=[
                {"code": exc.code, "message": exc.message, "message_zh": exc.message_zh, "details": details}
            ],
            warnings=[],
        )
    )
    session.commit()
    return sub_id


def _process_events(session: Session) -> None:
    """Bring credit states up to date (the consumers the assembly registered with
    ``events.run_after_commit``); the submission is already committed, so a failure here only
    delays the state (the next run of the consumer catches up) and is logged."""
    try:
        catch_up(session)
    except Exception:
        session.rollback()
        log.exception("processing outbox events after a submission failed")


def _submission(session: Session, submission_id: str, provider_id: int | None) -> Submission:
    sub = session.get(Submission, submission_id)
    if sub is None or (provider_id is not None and sub.provider_id != provider_id):
        # Another provider's submission is reported as missing, not as forbidden: ids don't leak.
        raise NotFound(
            f"Unknown submission {submission_id!r}",
            "提交记录不存在",
            code="ingest.unknown_submission",
            value=submission_id,
        )
    return sub


def get_submission(
    session: Session, submission_id: str, *, provider_id: int | None = None
) -> SubmissionResult:
    """A submission's status and counters (``provider_id`` restricts to that provider's own)."""
    sub = _submission(session, submission_id, provider_id)
    return _result(sub, accounts_service.get_provider(session, sub.provider_id).code)


def list_submission_rows(
    session: Session,
    submission_id: str,
    *,
    provider_id: int | None = None,
    outcome: str | None = None,
    problems_only: bool = False,
    page: int = 1,
    per_page: int = 100,
) -> Page[RowResult]:
    """Per-row results in row order: outcome, record, late flag, errors and warnings."""
    _submission(session, submission_id, provider_id)
    page, per_page = max(page, 1), min(max(per_page, 1), 1000)
    cond = [SubmissionRow.submission_id == submission_id]
    if outcome:
        cond.append(SubmissionRow.outcome == outcome)
    if problems_only:
        cond.append((SubmissionRow.outcome == "rejected") | SubmissionRow.late)
    total = session.scalar(select(func.count()).select_from(SubmissionRow).where(*cond)) or 0
    rows = session.scalars(
        select(SubmissionRow)
        .where(*cond)
        .order_by(SubmissionRow.row_number, SubmissionRow.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [
        RowResult(
            row=r.row_number,
            outcome=r.outcome,
            record_id=r.record_id,
            document_number=r.document_number,
            late=r.late,
            delay_working_days=r.delay_working_days,
            calendar_basis=r.calendar_basis or NOTICE,
            errors=list(r.errors or []),
            warnings=list(r.warnings or []),
        )
        for r in rows
    ]
    return Page(total=total, page=page, per_page=per_page, items=items)


def list_submissions(
    session: Session,
    *,
    provider_id: int | None = None,
    item_code: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[SubmissionResult]:
    page, per_page = max(page, 1), min(max(per_page, 1), 500)
    cond = []
    if provider_id is not None:
        cond.append(Submission.provider_id == provider_id)
    if item_code:
        cond.append(Submission.item_code == item_code)
    if status:
        cond.append(Submission.status == status)
    total = session.scalar(select(func.count()).select_from(Submission).where(*cond)) or 0
    rows = session.execute(
        select(Submission)
        .where(*cond)
        .order_by(Submission.received_at.desc(), Submission.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    codes = accounts_service.provider_codes(session)
    return Page(
        total=total, page=page, per_page=per_page, items=[_result(s, codes[s.provider_id]) for (s,) in rows]
    )
