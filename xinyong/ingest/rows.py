"""Ingest rows: per-row timeliness, the batched writer of submission rows, quarantined rows and
records, and the submission's result."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from sqlalchemy import Table as SqlTable
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.catalog.service import Catalog, CatalogItem
from xinyong.core.bulk import insert_rows, insert_values
from xinyong.core.calendar import BASIS_ZH, NOTICE, PROVISIONAL, load_calendar
from xinyong.core.db import utcnow
from xinyong.core.errors import DomainError
from xinyong.core.settings import get_settings
from xinyong.ingest import register
from xinyong.ingest.models import QuarantineRow, Submission, SubmissionRow
from xinyong.ingest.parsing import RawRow, Table, file_error
from xinyong.ingest.validation import Problem, RowCheck, RowValidator
from xinyong.ingest.views import RowResult, SubmissionResult
from xinyong.records import approval as records_approval
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service

log = logging.getLogger("xinyong.ingest")

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
        self.hold = accounts_service.get_provider(self.session, sub.provider_id).requires_approval
        # Register rows of the current batch whose subject was just registered from them.
        self.fresh: set[int] = set()
        self._open_quarantine: bool | None = None  # whether open quarantine entries may match

    def add(self, raw: RawRow, chk: RowCheck) -> bool:
        """Queue a row; True when that wrote the batch (a chunk may commit here)."""
        self.batch.append((raw, chk))
        if len(self.batch) >= _BATCH:
            self.flush()
            return True
        return False

    def _subjects(self) -> list[int | None]:
        """The subject of every valid row of the batch, resolved with one batch call; a refused
        code rejects its row."""
        ok = [i for i, (_, chk) in enumerate(self.batch) if chk.ok]
        if self.item.register_kind == "enterprise":
            registered, self.fresh = register.register_subjects(
                self.session, [self.batch[i][1] for i in ok], ok, len(self.batch)
            )
            return registered
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
            if self.item.register_kind is not None and not chk.withdraw and i not in self.fresh:
                # The register updates the subjects first; a refused row is stored nowhere.
                try:
                    with self.session.begin_nested():
                        register.apply_row(self.session, self.item, chk, subject_id, self.source)
                except DomainError as exc:
                    chk.errors.append(_problem(chk, exc))
                    continue
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
        if self.hold:
            # The department approves before anything is published or evaluated (待审核).
            records_approval.hold(
                self.session,
                [
                    rid
                    for rid, out in zip(record_ids, outcomes, strict=True)
                    if rid and out in ("created", "corrected")
                ],
            )
        insert_values(self.session, _SUBMISSION_ROWS, _SUBMISSION_ROW_KEYS, row_values)
        self._close_quarantine(
            accepted=[
                chk.document_number
                for (_, chk), outcome in zip(self.batch, outcomes, strict=True)
                if outcome != "rejected" and chk.document_number is not None
            ],
            rejected=[q["document_number"] for q in quarantine if q["document_number"] is not None],
        )
        if quarantine:
            _one_open_per_document(quarantine)
            insert_rows(self.session, _QUARANTINE_ROWS, quarantine)
            self._open_quarantine = True
        self.batch.clear()

    def _close_quarantine(self, *, accepted: list[str], rejected: list[str]) -> None:
        """One open quarantine entry per (provider, item, document number): a row accepted now
        resolves the open entries of its document; a row rejected again supersedes them (its new
        entry, with the new reasons, is the open one)."""
        if self._open_quarantine is None:
            # Most submissions meet no open entry of their provider and item: one look, then none.
            self._open_quarantine = (
                self.session.scalar(
                    select(QuarantineRow.id)
                    .where(
                        QuarantineRow.provider_id == self.sub.provider_id,
                        QuarantineRow.item_code == self.sub.item_code,
                        QuarantineRow.status == "open",
                    )
                    .limit(1)
                )
                is not None
            )
        if not self._open_quarantine:
            return
        for status, documents in (("resolved", accepted), ("superseded", rejected)):
            for start in range(0, len(documents), _BATCH):
                self.session.execute(
                    update(QuarantineRow)
                    .where(
                        QuarantineRow.provider_id == self.sub.provider_id,
                        QuarantineRow.item_code == self.sub.item_code,
                        QuarantineRow.status == "open",
                        QuarantineRow.document_number.in_(documents[start : start + _BATCH]),
                    )
                    .values(
                        status=status,
                        resolved_submission_id=self.sub.id,
                        note=_CLOSED_NOTE[status],
                        updated_at=utcnow(),
                    )
                    .execution_options(synchronize_session=False)
                )


# Called after each written batch of a chunked submission with the rows done so far: commits
# them (``submission._ChunkCommit``). None: the submission is one transaction.
ChunkCommit = Callable[[Submission, int], None]


def count_rows(sub: Submission, writer_counts: Counter[str], late: int, total: int) -> None:
    """The submission's counters from the rows written so far (kept current chunk by chunk, so
    recovery resumes after the last committed row with the right totals)."""
    sub.rows_total = total
    sub.rows_created = writer_counts["created"]
    sub.rows_corrected = writer_counts["corrected"]
    sub.rows_withdrawn = writer_counts["withdrawn"]
    sub.rows_unchanged = writer_counts["unchanged"]
    sub.rows_rejected = writer_counts["rejected"]
    sub.rows_late = late


def _ingest_rows(
    session: Session,
    sub: Submission,
    item: CatalogItem,
    catalog: Catalog,
    validator: RowValidator,
    table: Table,
    received_on: date,
    progress: ProgressCallback | None,
    *,
    chunk_commit: ChunkCommit | None = None,
    skip: int = 0,
) -> SubmissionResult:
    """Validate and write every row of ``table``. ``chunk_commit``: commit after each batch (a
    big submission; see ``submission.py``). ``skip``: rows already committed by an interrupted
    run of the same submission (recovery): they are validated again, so checks that span rows
    (a document number twice in one file) see them, but not written again."""
    max_rows = get_settings().max_rows_per_submission
    writer = _RowWriter(session, sub, item, _Timeliness(session, catalog, item, received_on), received_on)
    if skip:
        writer.counts.update(
            {
                "created": sub.rows_created,
                "corrected": sub.rows_corrected,
                "withdrawn": sub.rows_withdrawn,
                "unchanged": sub.rows_unchanged,
                "rejected": sub.rows_rejected,
            }
        )
        writer.late = sub.rows_late
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
        chk = validator.check(raw)
        if total <= skip:
            continue
        if writer.add(raw, chk) and chunk_commit is not None:
            count_rows(sub, writer.counts, writer.late, total)
            chunk_commit(sub, total)
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
    count_rows(sub, writer.counts, writer.late, total)
    sub.warnings = warnings
    sub.status = "done"
    sub.finished_at = utcnow()
    session.flush()
    result = _result(sub, accounts_service.get_provider(session, sub.provider_id).code)
    result.problems = writer.problems
    return result


_CLOSED_NOTE = {
    "resolved": "后续提交已接收该文书号的记录",
    "superseded": "后续提交再次报送该文书号且仍被拒绝，见新的隔离记录",
}


def _one_open_per_document(quarantine: list[dict[str, Any]]) -> None:
    """Within one batch, a document number rejected twice keeps only its last entry open."""
    last: dict[str, int] = {}
    for i, q in enumerate(quarantine):
        if q["document_number"] is not None:
            last[q["document_number"]] = i
    for i, q in enumerate(quarantine):
        doc = q["document_number"]
        if doc is not None and last[doc] != i:
            q["status"] = "superseded"
            q["resolved_submission_id"] = q["submission_id"]
            q["note"] = _CLOSED_NOTE["superseded"]


def _quarantine_values(sub: Submission, raw: RawRow, res: RowResult) -> dict[str, Any]:
    now = utcnow()
    return {
        "submission_id": sub.id,
        "provider_id": sub.provider_id,
        "item_code": sub.item_code,
        "row_number": res.row,
        "document_number": res.document_number,
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
