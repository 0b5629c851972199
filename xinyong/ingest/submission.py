"""Ingest service (归集): providers, submissions by API and file, quarantine, timeliness, metrics.

A submission is all-or-nothing at the storage level: its Submission row, every per-row result,
every quarantined row and every record version commit in ONE transaction (``submit`` commits the
session it is given). Re-sending the same rows is a no-op (records answer ``unchanged``), so a
re-run after a crash (``kill -9``) converges to the same final state. After the commit the outbox
is processed so each subject's credit state is current.
"""

from __future__ import annotations

import gc
import logging
import statistics
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any, Generic, TypeVar, cast

from sqlalchemy import Table as SqlTable
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.catalog.service import Catalog, CatalogItem, get_catalog
from xinyong.core import identifiers
from xinyong.core.bulk import insert_rows, insert_values
from xinyong.core.calendar import BASIS_ZH, NOTICE, PROVISIONAL, load_calendar
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthorized
from xinyong.core.events import catch_up
from xinyong.core.settings import get_settings
from xinyong.ingest.models import Provider, ProviderItem, QuarantineRow, Submission, SubmissionRow
from xinyong.ingest.parsing import RawRow, Table, batch_table, file_error, open_table
from xinyong.ingest.validation import Problem, RowCheck, RowValidator
from xinyong.ledger import service as ledger
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service

log = logging.getLogger("xinyong.ingest")

CHANNELS = ("api", "file", "resubmit")
ACCEPTED = ("created", "corrected", "withdrawn", "unchanged")
# Rows are written in batches: big files stay fast without holding every row in the session.
_BATCH = 1000
# At most this many problem rows are returned inline; the rest are paged from the store.
_INLINE_PROBLEMS = 1000
_SUBMISSION_ROWS = cast(SqlTable, SubmissionRow.__table__)
_QUARANTINE_ROWS = cast(SqlTable, QuarantineRow.__table__)
_SUBMISSION_ROW_KEYS = (
    "submission_id",
    "row_number",
    "outcome",
    "record_id",
    "document_number",
    "late",
    "delay_working_days",
    "calendar_basis",
    "errors",
    "warnings",
)

# Called every batch with (rows done, estimated total rows or None).
ProgressCallback = Callable[[int, int | None], None]


# ------------------------------------------------------------------------------------------------
# Views


@dataclass
class ProviderInfo:
    id: int
    code: str
    name: str
    uscc: str | None
    active: bool
    items: list[str]
    created_at: datetime


@dataclass
class RowResult:
    row: int
    outcome: str  # created|corrected|withdrawn|unchanged|rejected
    record_id: int | None = None
    document_number: str | None = None
    late: bool = False
    delay_working_days: int | None = None
    # provisional: the delay was counted on a year without its holiday notice (按法定节假日推算，
    # 待国务院通知发布后校正); the daily job recounts it once the notice is loaded.
    calendar_basis: str = "notice"
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class SubmissionResult:
    id: str
    provider_code: str
    item_code: str
    channel: str
    status: str  # received|done|failed
    filename: str | None
    file_format: str | None
    encoding: str | None
    content_hash: str | None
    rows_total: int
    rows_created: int
    rows_corrected: int
    rows_withdrawn: int
    rows_unchanged: int
    rows_rejected: int
    rows_late: int
    received_at: datetime
    finished_at: datetime | None
    errors: list[dict[str, Any]] = field(default_factory=list)  # file-level (status failed)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # submission-level (unknown headers)
    # Rows with errors or warnings (the first ``_INLINE_PROBLEMS``; page the rest).
    problems: list[RowResult] = field(default_factory=list)

    @property
    def rows_accepted(self) -> int:
        return self.rows_created + self.rows_corrected + self.rows_withdrawn + self.rows_unchanged

    @property
    def unknown_headers(self) -> list[str]:
        return [
            h for w in self.warnings if w.get("code") == "ingest.unknown_header" for h in w.get("headers", [])
        ]


@dataclass
class QuarantineInfo:
    id: int
    submission_id: str
    provider_code: str
    item_code: str
    row_number: int
    raw: dict[str, Any]
    errors: list[Problem]
    status: str  # open|resolved|superseded|discarded
    resolved_submission_id: str | None
    note: str
    created_at: datetime
    updated_at: datetime


T = TypeVar("T")


@dataclass
class Page(Generic[T]):  # Python 3.11: no PEP 695 generics
    total: int
    page: int
    per_page: int
    items: list[T]


@dataclass
class ProviderMetrics:
    provider_code: str
    provider_name: str
    submissions: int
    submissions_failed: int
    rows_submitted: int
    rows_accepted: int
    rows_created: int
    rows_corrected: int
    rows_withdrawn: int
    rows_unchanged: int
    rows_rejected: int
    rejected_by_rule: dict[str, int]
    rows_late: int
    error_rate: float  # rejected / submitted
    late_rate: float  # late / created
    median_delay_working_days: float | None


@dataclass
class ItemMetrics:
    item_code: str
    providers: int
    submissions: int
    rows_submitted: int
    rows_accepted: int
    rows_rejected: int
    rows_late: int
    error_rate: float


# ------------------------------------------------------------------------------------------------
# Providers


def _items_of(session: Session, provider_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ProviderItem.item_code)
            .where(ProviderItem.provider_id == provider_id)
            .order_by(ProviderItem.item_code)
        )
    )


def _info(session: Session, p: Provider) -> ProviderInfo:
    return ProviderInfo(
        id=p.id,
        code=p.code,
        name=p.name,
        uscc=p.uscc,
        active=p.active,
        items=_items_of(session, p.id),
        created_at=p.created_at,
    )


def _check_items(catalog: Catalog, items: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(items))
    for code in codes:
        catalog.item(code)  # NotFound catalog.unknown_item
    return codes


def create_provider(
    session: Session, code: str, name: str, uscc: str | None = None, items: Iterable[str] = ()
) -> tuple[ProviderInfo, str]:
    """Register a department; returns its info and the API key (shown once, stored hashed). The
    provider is a department of accounts with keys: its department and its key are made there."""
    code = code.strip()
    name = name.strip()
    if not code or not name:
        raise InvalidInput(
            "Provider code and name are required", "单位编码和名称不能为空", code="ingest.provider_invalid"
        )
    if session.scalar(select(Provider.id).where(Provider.code == code)) is not None:
        raise Conflict(
            f"Provider {code!r} already exists",
            f"信息提供单位“{code}”已存在",
            code="ingest.provider_exists",
            value=code,
        )
    if uscc:
        uscc = uscc.strip().upper()
        res = identifiers.check_uscc(uscc)
        if not res.valid:
            raise InvalidInput(
                "Not a valid unified social credit code",
                f"单位统一社会信用代码无效：{res.message_zh or res.error}",
                code="ingest.provider_invalid",
                field="uscc",
                value=uscc,
                rule=res.error,
            )
    item_codes = _check_items(get_catalog(), items)
    p = Provider(code=code, name=name, uscc=uscc or None)
    session.add(p)
    session.flush()
    for item in item_codes:
        session.add(ProviderItem(provider_id=p.id, item_code=item))
    session.flush()
    accounts_service.register_provider_department(session, p.code, p.name)
    _, api_key = accounts_service.issue_provider_key(session, p.code)
    return _info(session, p), api_key


def _provider(session: Session, ref: ProviderInfo | Provider | str | int) -> Provider:
    if isinstance(ref, Provider):
        return ref
    if isinstance(ref, ProviderInfo):
        ref = ref.id
    p = (
        session.get(Provider, ref)
        if isinstance(ref, int)
        else session.scalar(select(Provider).where(Provider.code == ref))
    )
    if p is None:
        raise NotFound(
            f"Unknown provider {ref!r}",
            f"信息提供单位“{ref}”不存在",
            code="ingest.unknown_provider",
            value=ref,
        )
    return p


def get_provider(session: Session, code: str) -> ProviderInfo:
    return _info(session, _provider(session, code))


def list_providers(session: Session) -> list[ProviderInfo]:
    return [_info(session, p) for p in session.scalars(select(Provider).order_by(Provider.code))]


def authenticate(session: Session, api_key: str | None) -> ProviderInfo:
    """The provider whose key ``api_key`` is (accounts says who the caller is), or
    ``Unauthorized``."""
    bad = Unauthorized("Missing or invalid API key", "API 密钥缺失或无效", code="ingest.invalid_api_key")
    if not api_key:
        raise bad
    try:
        principal = accounts_service.resolve_api_key(session, api_key)
    except Unauthorized:
        raise bad from None
    if principal.provider_code is None:
        raise bad
    p = _provider(session, principal.provider_code)
    if not p.active:
        raise Forbidden(
            "The provider is deactivated", "该信息提供单位已停用", code="ingest.provider_inactive"
        )
    return _info(session, p)


def rotate_key(session: Session, code: str) -> tuple[ProviderInfo, str]:
    """A new API key; the old one stops working at once."""
    p = _provider(session, code)
    _, api_key = accounts_service.issue_provider_key(session, p.code)
    return _info(session, p), api_key


def set_items(session: Session, code: str, items: Iterable[str]) -> ProviderInfo:
    """Replace the catalog items a provider is registered to submit."""
    p = _provider(session, code)
    wanted = set(_check_items(get_catalog(), items))
    current = {
        pi.item_code: pi
        for pi in session.scalars(select(ProviderItem).where(ProviderItem.provider_id == p.id))
    }
    for item, row in current.items():
        if item not in wanted:
            session.delete(row)
    for item in sorted(wanted - current.keys()):
        session.add(ProviderItem(provider_id=p.id, item_code=item))
    session.flush()
    return _info(session, p)


def set_active(session: Session, code: str, active: bool) -> ProviderInfo:
    """Stop (or resume) a provider's submissions; its department, and so its keys and accounts,
    stop (resume) with it."""
    p = _provider(session, code)
    p.active = active
    session.flush()
    accounts_service.set_department_active(
        session, accounts_service.provider_department(session, p.code).code, active
    )
    return _info(session, p)


def _ensure_allowed(session: Session, p: Provider, item: CatalogItem) -> None:
    if not p.active:
        raise Forbidden(
            "The provider is deactivated", "该信息提供单位已停用", code="ingest.provider_inactive"
        )
    allowed = session.scalar(
        select(ProviderItem.id).where(ProviderItem.provider_id == p.id, ProviderItem.item_code == item.code)
    )
    if allowed is None:
        raise Forbidden(
            f"Provider {p.code!r} is not registered to submit {item.code!r}",
            f"“{p.name}”未登记报送“{item.name_zh}”目录项，无权提交",
            code="ingest.item_not_allowed",
            provider=p.code,
            item=item.code,
        )


# ------------------------------------------------------------------------------------------------
# Submissions


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
    p = _provider(session, provider)
    _ensure_allowed(session, p, item)
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


class _Timeliness:
    """Working days from decision to receipt and the item's limit (cached per decision date)."""

    def __init__(self, session: Session, catalog: Catalog, item: CatalogItem, received_on: date) -> None:
        self.calendar = load_calendar(session)
        self.catalog = catalog
        self.item = item
        self.received_on = received_on
        self._limits: dict[date, int | None] = {}
        self._delays: dict[date, int | None] = {}
        self._bases: dict[date, str | None] = {}

    def judge(self, chk: RowCheck) -> tuple[bool, int | None, str | None]:
        """(late, delay in working days, calendar basis: ``provisional`` when the count crossed
        a year without its holiday notice, else None)."""
        d = chk.decision_date
        if d is None:
            return False, None, None
        if d not in self._limits:
            self._limits[d] = self.catalog.timeliness_limit_working_days(self.item, d)
            try:
                self._delays[d] = self.calendar.working_days_between(d, self.received_on)
            except DomainError as exc:  # UnknownCalendarYear: never guess, but don't reject
                self._delays[d] = None
                log.debug("timeliness unknown for %s: %s", d, exc)
            provisional = self.calendar.basis(d, self.received_on) == PROVISIONAL
            self._bases[d] = PROVISIONAL if provisional and self._delays[d] is not None else None
        delay, limit, basis = self._delays[d], self._limits[d], self._bases[d]
        if delay is None:
            chk.warnings.append(
                {
                    "row": chk.number,
                    "field": "decision_date",
                    "header": None,
                    "value": d.isoformat(),
                    "rule": "ingest.timeliness_unknown",
                    "message": "The working-day calendar does not cover this period; timeliness unknown",
                    "message_zh": "工作日历未覆盖该期间，无法判断报送是否及时",
                }
            )
            return False, None, None
        late = limit is not None and delay > limit
        if late:
            chk.warnings.append(late_warning(chk.number, d, delay, limit, basis))
        return late, delay, basis


def late_warning(row: int, decided: date, delay: int, limit: int | None, basis: str | None) -> Problem:
    """The warning of a row received after the timeliness limit (the basis said when provisional)."""
    note, note_zh = "", ""
    if basis == PROVISIONAL:
        note = " (working days computed provisionally: no holiday notice loaded for that year yet)"
        note_zh = f"（{BASIS_ZH[PROVISIONAL]}）"
    return {
        "row": row,
        "field": "decision_date",
        "header": None,
        "value": decided.isoformat(),
        "rule": "ingest.late",
        "message": f"Received {delay} working days after the decision (limit {limit}){note}",
        "message_zh": f"决定作出后第 {delay} 个工作日才报送，超过 {limit} 个工作日的时限{note_zh}",
    }


def _problem(chk: RowCheck, exc: DomainError) -> Problem:
    return {
        "row": chk.number,
        "field": exc.details.get("field") if isinstance(exc.details.get("field"), str) else None,
        "header": None,
        "value": chk.document_number,
        "rule": exc.code,
        "message": exc.message,
        "message_zh": exc.message_zh,
    }


class _RowWriter:
    """Stores the rows of one submission in batches: subjects resolved per row (the subjects
    service caches them), records stored with ``store_many``, per-row results and quarantined
    rows bulk-inserted."""

    def __init__(
        self,
        session: Session,
        sub: Submission,
        item: CatalogItem,
        timeliness: _Timeliness,
        received_on: date,
    ) -> None:
        self.session = session
        self.sub = sub
        self.item = item
        self.timeliness = timeliness
        self.received_on = received_on
        self.source = f"ingest:{sub.provider_id}"
        self.batch: list[tuple[RawRow, RowCheck]] = []
        self.counts: Counter[str] = Counter()
        self.late = 0
        self.problems: list[RowResult] = []

    def add(self, raw: RawRow, chk: RowCheck) -> None:
        self.batch.append((raw, chk))
        if len(self.batch) >= _BATCH:
            self.flush()

    def _subjects(self) -> list[int | None]:
        """The subject of every valid row of the batch, resolved with one batch call; a refused
        code rejects its row."""
        ok = [i for i, (_, chk) in enumerate(self.batch) if chk.ok]
        refs = []
        for i in ok:
            chk = self.batch[i][1]
            refs.append(
                subjects_service.SubjectRef(
                    name=chk.subject_name or "",
                    kind=chk.subject_kind or "enterprise",
                    uscc=chk.uscc,
                    id_number=chk.id_number,
                    legal_representative=chk.legal_representative,
                    source=self.source,
                )
            )
        out: list[int | None] = [None] * len(self.batch)
        for i, subject in zip(ok, subjects_service.resolve_subjects(self.session, refs), strict=True):
            chk = self.batch[i][1]
            if isinstance(subject, DomainError):
                chk.errors.append(_problem(chk, subject))
                continue
            for w in subject.warnings:
                chk.warnings.append(
                    {
                        "row": chk.number,
                        "field": w.get("field"),
                        "header": None,
                        "value": None,
                        "rule": w.get("code"),
                        **w,
                    }
                )
            out[i] = subject.subject_id
        return out

    def flush(self) -> None:
        if not self.batch:
            return
        n = len(self.batch)
        # Per row of the batch: outcome, record id, late, delay (a RowResult only for the rows
        # with problems, which the submission's answer lists inline).
        outcomes: list[str] = ["rejected"] * n
        record_ids: list[int | None] = [None] * n
        lates: list[bool] = [False] * n
        delays: list[int | None] = [None] * n
        bases: list[str | None] = [None] * n
        requests: list[records_store.StoreRequest] = []
        request_rows: list[int] = []
        provider_id, sub_id, received_on = self.sub.provider_id, self.sub.id, self.received_on
        for i, subject_id in enumerate(self._subjects()):
            if subject_id is None:
                continue
            chk = self.batch[i][1]
            assert chk.document_number is not None
            request = records_store.StoreRequest(
                subject_id, provider_id, chk.document_number, chk.data, sub_id, received_on, chk.withdraw
            )
            if chk.withdraw:
                # Withdrawals are rare and may name an unknown record: one at a time, so the
                # store's refusal rejects only this row.
                try:
                    stored = records_store.store_many(
                        self.session, item=self.item, requests=[request], defer_ledger=True
                    )[0]
                except DomainError as exc:
                    chk.errors.append(_problem(chk, exc))
                    continue
                outcomes[i], record_ids[i] = stored.outcome, stored.record_id
            else:
                requests.append(request)
                request_rows.append(i)
        if requests:
            # The ledger entries of the versions are appended once, when the submission ends.
            stored_many = records_store.store_many(
                self.session, item=self.item, requests=requests, defer_ledger=True
            )
            judge = self.timeliness.judge
            for i, stored in zip(request_rows, stored_many, strict=True):
                outcomes[i], record_ids[i] = stored.outcome, stored.record_id
                if stored.outcome == "created":
                    # Timeliness is about first publication; resends and corrections don't reset it.
                    lates[i], delays[i], bases[i] = judge(self.batch[i][1])

        row_values: list[tuple[Any, ...]] = []
        quarantine: list[dict[str, Any]] = []
        counts = self.counts
        for i, (raw, chk) in enumerate(self.batch):
            outcome = outcomes[i]
            counts[outcome] += 1
            late = lates[i]
            if late:
                self.late += 1
            # In the order of ``_SUBMISSION_ROW_KEYS``.
            row_values.append(
                (
                    sub_id,
                    chk.number,
                    outcome,
                    record_ids[i],
                    chk.document_number,
                    late,
                    delays[i],
                    bases[i],
                    chk.errors,
                    chk.warnings,
                )
            )
            if outcome == "rejected" or chk.errors or chk.warnings:
                res = RowResult(
                    row=chk.number,
                    outcome=outcome,
                    record_id=record_ids[i],
                    document_number=chk.document_number,
                    late=late,
                    delay_working_days=delays[i],
                    calendar_basis=bases[i] or NOTICE,
                    errors=chk.errors,
                    warnings=chk.warnings,
                )
                if outcome == "rejected":
                    quarantine.append(_quarantine_values(self.sub, raw, res))
                if (chk.errors or chk.warnings) and len(self.problems) < _INLINE_PROBLEMS:
                    self.problems.append(res)
        insert_values(self.session, _SUBMISSION_ROWS, _SUBMISSION_ROW_KEYS, row_values)
        if quarantine:
            insert_rows(self.session, _QUARANTINE_ROWS, quarantine)
        self.batch.clear()


def _ingest_rows(
    session: Session,
    sub: Submission,
    item: CatalogItem,
    catalog: Catalog,
    validator: RowValidator,
    table: Table,
    received_on: date,
    progress: ProgressCallback | None,
) -> SubmissionResult:
    max_rows = get_settings().max_rows_per_submission
    writer = _RowWriter(session, sub, item, _Timeliness(session, catalog, item, received_on), received_on)
    total = 0
    for raw in table.rows:
        total += 1
        if total > max_rows:
            raise file_error(
                "ingest.too_many_rows",
                f"More than {max_rows} rows in one submission; split the file",
                f"单次提交超过 {max_rows} 行，请拆分后分批提交",
                limit=max_rows,
            )
        writer.add(raw, validator.check(raw))
        if progress is not None and total % _BATCH == 0:
            progress(total, table.estimated_rows)
    writer.flush()
    if progress is not None:
        progress(total, total)
    if total == 0:
        raise file_error("ingest.empty_file", "The submission has no data rows", "提交内容没有任何数据行")

    warnings: list[dict[str, Any]] = []
    if validator.unknown_headers:
        headers = list(validator.unknown_headers)
        warnings.append(
            {
                "code": "ingest.unknown_header",
                "headers": headers,
                "message": "Columns with unknown headers were ignored: " + ", ".join(headers),
                "message_zh": "以下列的表头无法识别，已忽略：" + "、".join(headers),
            }
        )
    if sub.content_hash:
        earlier = session.scalar(
            select(Submission.id)
            .where(
                Submission.provider_id == sub.provider_id,
                Submission.item_code == sub.item_code,
                Submission.content_hash == sub.content_hash,
                Submission.status == "done",
                Submission.id != sub.id,
            )
            .order_by(Submission.received_at)
            .limit(1)
        )
        if earlier is not None:
            # Harmless (rows come out "unchanged"), but a department re-sending a file should know.
            warnings.append(
                {
                    "code": "ingest.duplicate_file",
                    "submission_id": earlier,
                    "message": f"The same file was already submitted as {earlier}",
                    "message_zh": f"该文件与此前的提交 {earlier} 内容完全相同",
                }
            )
    # Late, once: the ledger's lock is held from here to the commit only.
    records_store.write_deferred_ledger(session)
    counts = writer.counts
    sub.rows_total = total
    sub.rows_created = counts["created"]
    sub.rows_corrected = counts["corrected"]
    sub.rows_withdrawn = counts["withdrawn"]
    sub.rows_unchanged = counts["unchanged"]
    sub.rows_rejected = counts["rejected"]
    sub.rows_late = writer.late
    sub.warnings = warnings
    sub.status = "done"
    sub.finished_at = utcnow()
    session.flush()
    result = _result(sub, _provider(session, sub.provider_id).code)
    result.problems = writer.problems
    return result


def _quarantine_values(sub: Submission, raw: RawRow, res: RowResult) -> dict[str, Any]:
    now = utcnow()
    return {
        "submission_id": sub.id,
        "provider_id": sub.provider_id,
        "item_code": sub.item_code,
        "row_number": res.row,
        "raw": raw.values,
        "errors": res.errors,
        "status": "open",
        "resolved_submission_id": None,
        "note": "",
        "created_at": now,
        "updated_at": now,
    }


def _result(sub: Submission, provider_code: str) -> SubmissionResult:
    return SubmissionResult(
        id=sub.id,
        provider_code=provider_code,
        item_code=sub.item_code,
        channel=sub.channel,
        status=sub.status,
        filename=sub.filename,
        file_format=sub.file_format,
        encoding=sub.encoding,
        content_hash=sub.content_hash,
        rows_total=sub.rows_total,
        rows_created=sub.rows_created,
        rows_corrected=sub.rows_corrected,
        rows_withdrawn=sub.rows_withdrawn,
        rows_unchanged=sub.rows_unchanged,
        rows_rejected=sub.rows_rejected,
        rows_late=sub.rows_late,
        received_at=sub.received_at,
        finished_at=sub.finished_at,
        errors=list(sub.errors or []),
        warnings=list(sub.warnings or []),
    )


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
    return _result(sub, _provider(session, sub.provider_id).code)


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
        select(Submission, Provider.code)
        .join(Provider, Provider.id == Submission.provider_id)
        .where(*cond)
        .order_by(Submission.received_at.desc(), Submission.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(total=total, page=page, per_page=per_page, items=[_result(s, code) for s, code in rows])


# ------------------------------------------------------------------------------------------------
# Quarantine


def _quarantine_info(q: QuarantineRow, provider_code: str) -> QuarantineInfo:
    return QuarantineInfo(
        id=q.id,
        submission_id=q.submission_id,
        provider_code=provider_code,
        item_code=q.item_code,
        row_number=q.row_number,
        raw=dict(q.raw or {}),
        errors=list(q.errors or []),
        status=q.status,
        resolved_submission_id=q.resolved_submission_id,
        note=q.note,
        created_at=q.created_at,
        updated_at=q.updated_at,
    )


def list_quarantine(
    session: Session,
    *,
    provider: str | int | None = None,
    item_code: str | None = None,
    status: str | None = "open",
    submission_id: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[QuarantineInfo]:
    """Quarantined rows, oldest first; filter by provider (code or id), item, status, submission."""
    page, per_page = max(page, 1), min(max(per_page, 1), 500)
    cond = []
    if provider is not None:
        cond.append(QuarantineRow.provider_id == _provider(session, provider).id)
    if item_code:
        cond.append(QuarantineRow.item_code == item_code)
    if status:
        cond.append(QuarantineRow.status == status)
    if submission_id:
        cond.append(QuarantineRow.submission_id == submission_id)
    total = session.scalar(select(func.count()).select_from(QuarantineRow).where(*cond)) or 0
    rows = session.execute(
        select(QuarantineRow, Provider.code)
        .join(Provider, Provider.id == QuarantineRow.provider_id)
        .where(*cond)
        .order_by(QuarantineRow.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(total=total, page=page, per_page=per_page, items=[_quarantine_info(q, c) for q, c in rows])


def _quarantine_row(session: Session, quarantine_id: int, provider_id: int | None) -> QuarantineRow:
    q = session.get(QuarantineRow, quarantine_id)
    if q is None or (provider_id is not None and q.provider_id != provider_id):
        raise NotFound(
            f"Unknown quarantined row {quarantine_id}",
            "隔离区中没有该条记录",
            code="ingest.unknown_quarantine",
            value=quarantine_id,
        )
    return q


def get_quarantine(session: Session, quarantine_id: int, *, provider_id: int | None = None) -> QuarantineInfo:
    q = _quarantine_row(session, quarantine_id, provider_id)
    return _quarantine_info(q, _provider(session, q.provider_id).code)


def _require_open(q: QuarantineRow) -> None:
    if q.status != "open":
        raise Conflict(
            f"The quarantined row is already {q.status}",
            "该隔离记录已处理（已重新提交或已作废）",
            code="ingest.quarantine_closed",
            status=q.status,
        )


def correct_and_resubmit(
    session: Session,
    quarantine_id: int,
    corrected: Mapping[str, Any],
    *,
    provider_id: int | None = None,
    received_at: datetime | None = None,
) -> SubmissionResult:
    """Apply corrections (keys: original headers, national codes, Xinyong codes or Chinese names) to
    a quarantined row, validate it again and store it through the normal path as a new submission
    (channel ``resubmit``). Still invalid → ``InvalidInput`` ``ingest.still_invalid`` with the
    errors and nothing changes; accepted → the quarantined row is resolved in the same transaction."""
    q = _quarantine_row(session, quarantine_id, provider_id)
    _require_open(q)
    catalog = get_catalog()
    item = catalog.item(q.item_code)
    _, received_on = _receipt(received_at)
    validator = RowValidator(catalog, item, today=received_on)
    row = dict(q.raw or {})
    row.pop("_raw", None)
    for key, value in corrected.items():
        target = validator.resolve(key)
        if target is None:
            raise InvalidInput(
                f"Unknown field {key!r}",
                f"无法识别的字段“{key}”",
                code="ingest.unknown_field",
                field=key,
            )
        for old in [h for h in row if validator.resolve(h) == target]:
            del row[old]  # the correction replaces every column that fed this field
        row[key] = value
    check = validator.check(RawRow(q.row_number, row))
    if not check.ok:
        raise InvalidInput(
            "The corrected row is still invalid",
            "更正后的数据仍未通过校验",
            code="ingest.still_invalid",
            errors=check.errors,
        )
    qid, provider_ref = q.id, q.provider_id

    def resolve_quarantine(s: Session, result: SubmissionResult) -> None:
        target = s.get(QuarantineRow, qid)
        assert target is not None
        target.resolved_submission_id = result.id
        if result.rows_rejected:
            # The store refused it (e.g. withdrawing an unknown record): the new submission holds
            # the row in quarantine with the new reasons; this one points to it.
            target.status = "superseded"
            target.note = "更正后重新提交仍被拒绝，见新提交的隔离记录"
            return
        target.status = "resolved"

    return _run(
        session,
        provider_ref,
        q.item_code,
        batch_table([row]),
        "resubmit",
        None,
        received_at,
        None,
        on_done=resolve_quarantine,
    )


def discard(
    session: Session, quarantine_id: int, note: str, *, provider_id: int | None = None
) -> QuarantineInfo:
    """Close a quarantined row without storing it; the reason is kept (nothing is dropped silently)."""
    q = _quarantine_row(session, quarantine_id, provider_id)
    _require_open(q)
    if not note or not note.strip():
        raise InvalidInput(
            "A note explaining the discard is required",
            "作废须填写原因说明",
            code="ingest.note_required",
            field="note",
        )
    q.status = "discarded"
    q.note = note.strip()
    session.flush()
    provider_code = _provider(session, q.provider_id).code
    # A row leaves quarantine without becoming a record: the decision is ledgered.
    ledger.append(
        session,
        "quarantine.discarded",
        f"quarantine:{q.id}",
        {
            "quarantine_id": q.id,
            "submission_id": q.submission_id,
            "row": q.row_number,
            "provider": provider_code,
            "note": q.note,
        },
    )
    return _quarantine_info(q, provider_code)


# ------------------------------------------------------------------------------------------------
# Metrics


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def provider_metrics(
    session: Session, code: str, *, since: datetime | None = None, until: datetime | None = None
) -> ProviderMetrics:
    """Submissions, rows submitted / accepted / rejected (by rule), late rows, error rate and the
    median delay in working days of a provider, optionally within ``[since, until)``."""
    p = _provider(session, code)
    cond = [Submission.provider_id == p.id]
    if since is not None:
        cond.append(Submission.received_at >= since)
    if until is not None:
        cond.append(Submission.received_at < until)
    agg = session.execute(
        select(
            func.count(),
            func.count().filter(Submission.status == "failed"),
            func.coalesce(func.sum(Submission.rows_total), 0),
            func.coalesce(func.sum(Submission.rows_created), 0),
            func.coalesce(func.sum(Submission.rows_corrected), 0),
            func.coalesce(func.sum(Submission.rows_withdrawn), 0),
            func.coalesce(func.sum(Submission.rows_unchanged), 0),
            func.coalesce(func.sum(Submission.rows_rejected), 0),
            func.coalesce(func.sum(Submission.rows_late), 0),
        ).where(*cond)
    ).one()
    n, failed, submitted, created, corrected, withdrawn, unchanged, rejected, late = (
        int(v or 0) for v in agg
    )
    by_rule: Counter[str] = Counter()
    for errors in session.scalars(
        select(SubmissionRow.errors)
        .join(Submission, Submission.id == SubmissionRow.submission_id)
        .where(*cond, SubmissionRow.outcome == "rejected")
    ):
        # A row counts once per distinct rule it broke.
        by_rule.update({e.get("rule") or "unknown" for e in errors or []})
    delays: list[int] = [
        d
        for d in session.scalars(
            select(SubmissionRow.delay_working_days)
            .join(Submission, Submission.id == SubmissionRow.submission_id)
            .where(*cond, SubmissionRow.delay_working_days.is_not(None))
        )
        if d is not None
    ]
    return ProviderMetrics(
        provider_code=p.code,
        provider_name=p.name,
        submissions=n,
        submissions_failed=failed,
        rows_submitted=submitted,
        rows_accepted=created + corrected + withdrawn + unchanged,
        rows_created=created,
        rows_corrected=corrected,
        rows_withdrawn=withdrawn,
        rows_unchanged=unchanged,
        rows_rejected=rejected,
        rejected_by_rule=dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        rows_late=late,
        error_rate=_rate(rejected, submitted),
        late_rate=_rate(late, created),
        median_delay_working_days=float(statistics.median(delays)) if delays else None,
    )


def item_metrics(session: Session) -> list[ItemMetrics]:
    """The same totals over all providers, per catalog item."""
    rows = session.execute(
        select(
            Submission.item_code,
            func.count(func.distinct(Submission.provider_id)),
            func.count(),
            func.coalesce(func.sum(Submission.rows_total), 0),
            func.coalesce(
                func.sum(
                    Submission.rows_created
                    + Submission.rows_corrected
                    + Submission.rows_withdrawn
                    + Submission.rows_unchanged
                ),
                0,
            ),
            func.coalesce(func.sum(Submission.rows_rejected), 0),
            func.coalesce(func.sum(Submission.rows_late), 0),
        )
        .group_by(Submission.item_code)
        .order_by(Submission.item_code)
    ).all()
    return [
        ItemMetrics(
            item_code=code,
            providers=int(providers),
            submissions=int(n),
            rows_submitted=int(total),
            rows_accepted=int(accepted),
            rows_rejected=int(rejected),
            rows_late=int(late),
            error_rate=_rate(int(rejected), int(total)),
        )
        for code, providers, n, total, accepted, rejected, late in rows
    ]
