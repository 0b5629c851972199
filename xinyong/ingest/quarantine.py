"""Ingest quarantine: rows rejected by validation, corrected and resubmitted or discarded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.catalog.service import get_catalog
from xinyong.core.errors import Conflict, InvalidInput, NotFound
from xinyong.core.paging import paged
from xinyong.ingest.models import QuarantineRow
from xinyong.ingest.parsing import RawRow, batch_table
from xinyong.ingest.submission import _receipt, _run
from xinyong.ingest.validation import RowValidator
from xinyong.ingest.views import Page, QuarantineInfo, SubmissionResult
from xinyong.ledger import service as ledger


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
        cond.append(QuarantineRow.provider_id == accounts_service.get_provider(session, provider).id)
    if item_code:
        cond.append(QuarantineRow.item_code == item_code)
    if status:
        cond.append(QuarantineRow.status == status)
    if submission_id:
        cond.append(QuarantineRow.submission_id == submission_id)
    total, rows = paged(session, QuarantineRow, cond, (QuarantineRow.id,), page, per_page)
    codes = accounts_service.provider_codes(session)
    return Page(
        total=total,
        page=page,
        per_page=per_page,
        items=[_quarantine_info(q, codes[q.provider_id]) for q in rows],
    )


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
    return _quarantine_info(q, accounts_service.get_provider(session, q.provider_id).code)


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
    provider_code = accounts_service.get_provider(session, q.provider_id).code
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
