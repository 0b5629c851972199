"""Ingest submissions (归集): rows by API batch and files; submission reads.

A submission of up to one batch (1,000 rows) commits in ONE transaction (its Submission row,
every per-row result, every quarantined row and every record version). A bigger one must not hold
SQLite's write lock for minutes (every check, every log entry, every worker waits for it): it is
staged (``staging.py``), a file is read through once (file-level problems refuse it before
anything is stored), then its rows are validated and written batch by batch, each batch committed
on its own (a fraction of a second of write lock), with the submission ``applying`` and the outbox
held (``core.events.hold``) until the final commit, which marks it ``done`` and releases the hold
at once. A crash half-way leaves it ``applying``; ``recovery.recover`` finishes it. Re-sending the
same rows is a no-op (records answer ``unchanged``). After the commit the outbox is processed
(in short transactions) so each subject's credit state is current.
"""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, TypeVar

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.accounts.views import ProviderInfo
from xinyong.catalog.service import get_catalog
from xinyong.core.calendar import NOTICE
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import utcnow
from xinyong.core.errors import DomainError, InvalidInput, NotFound
from xinyong.core.events import catch_up, hold, release
from xinyong.core.paging import paged
from xinyong.core.settings import get_settings
from xinyong.ingest import staging
from xinyong.ingest.models import Submission, SubmissionRow
from xinyong.ingest.parsing import Table, batch_table, file_error, open_table
from xinyong.ingest.rows import _BATCH, _INLINE_PROBLEMS, ChunkCommit, ProgressCallback, _ingest_rows, _result
from xinyong.ingest.validation import RowValidator
from xinyong.ingest.views import Page, RowResult, SubmissionResult

log = logging.getLogger("xinyong.ingest")

CHANNELS = ("api", "file", "resubmit")
ACCEPTED = ("created", "corrected", "withdrawn", "unchanged")

M = TypeVar("M")


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
    if isinstance(rows, Table):
        return _run(session, provider, item_code, rows, channel, filename, received_at, progress)
    listed = rows if isinstance(rows, list | tuple) else list(rows)
    source = _Source(lambda _validator: batch_table(listed))
    if _BATCH < len(listed) <= get_settings().max_rows_per_submission:
        # Applied in chunks: the rows are staged first, so recovery can finish the submission.
        # (Too many rows: one transaction, refused whole at the first row over the limit.)
        source.stage = lambda sub_id: staging.stage_rows(sub_id, listed)
    return _run(session, provider, item_code, source, channel, filename, received_at, progress)


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
    max_bytes = get_settings().max_upload_bytes
    source = _Source(lambda validator: _open(stream, filename, validator, file_format))
    # Every file is staged (copied to var/ingest-staging) before it is read: a big one is applied
    # in chunks, and recovery re-reads the staged copy to finish it after a crash.
    source.stage = lambda sub_id: staging.stage_stream(sub_id, stream, max_bytes)
    source.reopen = lambda staged, validator: _open_staged(staged, filename, validator, file_format)
    return _run(session, provider, item_code, source, channel, filename, received_at, progress)


def _open(stream: IO[bytes], filename: str | None, validator: RowValidator, file_format: str | None) -> Table:
    return open_table(
        stream,
        filename=filename,
        resolve=validator.resolve,
        max_bytes=get_settings().max_upload_bytes,
        file_format=file_format,
    )


def _open_staged(
    staged: staging.Staged, filename: str | None, validator: RowValidator, file_format: str | None
) -> Table:
    """A table over the staged copy (its own read handle, closed with the table)."""
    handle = staged.open()
    try:
        if staged.is_rows:
            table = open_table(
                handle, filename=None, resolve=validator.resolve, max_bytes=1 << 62, file_format="jsonl"
            )
        else:
            table = _open(handle, filename, validator, file_format)
    except BaseException:
        handle.close()
        raise
    table._closers.append(handle.close)
    return table


@dataclass
class _Source:
    """Where a submission's rows come from. ``open``: the table to apply. ``stage``: copy the
    input for recovery (None: the submission is small and commits in one transaction).
    ``reopen``: the table over the staged copy (a file is read from its copy, the stream is spent)."""

    open: Callable[[RowValidator], Table]
    stage: Callable[[str], staging.Staged] | None = None
    reopen: Callable[[staging.Staged, RowValidator], Table] | None = None


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


class _PageCache:
    """SQLite: a larger page cache for the submission's connection while it writes (setting
    ``sqlite_ingest_cache_bytes``), set back before the last transaction ends (the connection then
    returns to the pool with its usual cache). A chunked submission keeps it across its chunk
    commits: the pool hands the session its last-used connection back (``pool_use_lifo``); should
    another thread take that connection meanwhile, it keeps the larger cache until it is recycled
    (memory only, bounded by the setting)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.size = get_settings().sqlite_ingest_cache_bytes
        self.on = self.size > 0 and session.get_bind().dialect.name == "sqlite"
        self.previous: Any = None

    def grow(self) -> None:
        if not self.on:
            return
        conn = self.session.connection()
        self.previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{int(self.size) // 1024}")

    def shrink(self) -> None:
        if not self.on or self.previous is None:
            return
        try:
            self.session.connection().exec_driver_sql(f"PRAGMA cache_size={int(self.previous or -2000)}")
        except Exception:  # the connection broke with the submission: the pool discards it
            log.debug("could not set the page cache back", exc_info=True)
        self.previous = None


def _chunk_committer(session: Session, cache: _PageCache) -> ChunkCommit:
    """Commit each written batch of a big submission on its own: the write lock (SQLite) is held
    for one batch at a time, not for the whole file. The submission stays ``applying`` and its
    events held (``core.events.hold``) until the last commit, so nothing derived from it shows
    before it is complete; its counters say how far it got (recovery resumes there)."""

    def commit(_sub: Submission, _done: int) -> None:
        # The larger page cache stays on for the next chunk: shrinking it would drop the pages
        # the submission keeps reading (the pool hands the session the same, last-used
        # connection back: ``pool_use_lifo``); it is set back after the final commit's work.
        session.commit()

    return commit


def _prescan(source: _Source, staged: staging.Staged, catalog: Any, item: Any, today: date) -> int:
    """Read the staged file through once before anything is stored: a file-level problem (bad
    encoding, a broken sheet, too many rows) then rejects the submission before its first chunk
    commits, never half-way. Returns the number of rows."""
    assert source.reopen is not None
    max_rows = get_settings().max_rows_per_submission
    table = source.reopen(staged, RowValidator(catalog, item, today=today))
    try:
        count = 0
        for _ in table.rows:
            count += 1
            if count > max_rows:
                raise file_error(
                    "ingest.too_many_rows",
                    f"More than {max_rows} rows in one submission; split the file",
                    f"单次提交超过 {max_rows} 行，请拆分后分批提交",
                    limit=max_rows,
                )
        return count
    finally:
        table.close()


@_fewer_collections()  # a fresh context for each call: the whole submission runs with it
def _run(
    session: Session,
    provider: ProviderInfo | str | int,
    item_code: str,
    source: Table | _Source,
    channel: str,
    filename: str | None,
    received_at: datetime | None,
    progress: ProgressCallback | None,
    on_done: Callable[[Session, SubmissionResult], None] | None = None,
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
    staged: staging.Staged | None = None
    chunked = committed = False
    cache = _PageCache(session)
    try:
        if table is None:
            assert isinstance(source, _Source)
            if source.stage is not None:
                staged = source.stage(sub_id)
            if staged is not None and source.reopen is not None:
                table = source.reopen(staged, validator)
                chunked = _prescan(source, staged, catalog, item, received_on) > _BATCH
            else:
                table = source.open(validator)
                chunked = staged is not None
        sub = Submission(
            id=sub_id,
            provider_id=provider_id,
            item_code=item.code,
            channel=channel,
            filename=filename,
            file_format=table.format,
            encoding=table.encoding,
            content_hash=table.content_hash,
            status="applying" if chunked else "received",
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
        commit_chunk: ChunkCommit | None = None
        if chunked:
            hold(session, sub_id)  # before its first row is written: see _chunk_committer
            base = _chunk_committer(session, cache)

            def commit_chunk(s: Submission, done: int) -> None:
                nonlocal committed
                base(s, done)
                committed = True

        cache.grow()
        try:
            result = _ingest_rows(
                session,
                sub,
                item,
                catalog,
                validator,
                table,
                received_on,
                progress,
                chunk_commit=commit_chunk,
            )
            if chunked:
                release(session, sub_id)  # the final commit makes the whole submission visible
            if on_done is not None:
                on_done(session, result)
        finally:
            cache.shrink()
        session.commit()
    except DomainError as exc:
        session.rollback()
        if exc.code in ("catalog.unknown_item", "ingest.item_not_allowed"):
            raise
        if committed:
            # Not expected (the file was read through before the first commit), but if a
            # file-level problem appears half-way the rows already committed stay, counted,
            # and the submission is closed as failed so its hold does not stop the consumers.
            exc.details["submission_id"] = _abandon(session, sub_id, exc)
            raise
        fmt = table.format if table is not None else None
        enc = table.encoding if table is not None else None
        digest = table.content_hash if table is not None else None
        exc.details["submission_id"] = _record_failure(
            session, sub_id, provider_id, item.code, channel, filename, fmt, enc, digest, at, exc
        )
        if staged is not None:
            staged.discard()
            staged = None
        raise
    except BaseException:
        # A crash of the store or the process half-way: committed chunks stay, the submission
        # stays ``applying`` and recovery (``recover``) finishes it from the staged input.
        session.rollback()
        if staged is not None and not committed:
            staged.discard()
            staged = None
        raise
    finally:
        if table is not None:
            table.close()
        if staged is not None:
            staged.release()
    if staged is not None:
        staged.discard()
    _process_events(session)
    result.problems = result.problems[:_INLINE_PROBLEMS]
    return result


def _abandon(session: Session, sub_id: str, exc: DomainError) -> str:
    """Close a half-applied submission that cannot be finished: ``failed`` with the reason, its
    committed rows kept (they are counted in it), its hold released."""
    sub = session.get(Submission, sub_id)
    if sub is not None:
        details = {k: v for k, v in exc.details.items() if k != "submission_id"}
        sub.status = "failed"
        sub.finished_at = utcnow()
        sub.errors = [
            *(sub.errors or []),
            {"code": exc.code, "message": exc.message, "message_zh": exc.message_zh, "details": details},
        ]
    release(session, sub_id)
    session.commit()
    return sub_id


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
    total, rows = paged(
        session, SubmissionRow, cond, (SubmissionRow.row_number, SubmissionRow.id), page, per_page
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
    total, rows = paged(
        session, Submission, cond, (Submission.received_at.desc(), Submission.id), page, per_page
    )
    codes = accounts_service.provider_codes(session)
    return Page(
        total=total, page=page, per_page=per_page, items=[_result(s, codes[s.provider_id]) for s in rows]
    )
