"""Changes to records decided outside a submission: a 重错码 merge moves a subject's records
(``reassign_subject``), an objection corrects a record (``correct``), a granted credit repair ends
its publicity early (``end_publicity``). Each writes its versions, ledger entries and events the
way ``store.py`` does for a submission (split from it by size: store.py is the ingest path)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core.dates import as_date
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.events import Event
from xinyong.ledger import service as ledger
from xinyong.records.models import Record, RecordVersion
from xinyong.records.store import (
    _CHUNK,
    RecordOutcome,
    _event_row,
    _expire,
    _ledger_versions,
    _version_row,
    content_hash,
    status_payload,
    store,
)


def reassign_subject(session: Session, from_subject_id: int, to_subject_id: int) -> int:
    """Move records from one subject to another (governance merge); returns how many.

    Each moved record gets a ``record.reassigned`` event on the new subject (naming the old
    one), and the old subject one ``subject.records_reassigned`` event, so consumers re-derive
    both."""
    if from_subject_id == to_subject_id:
        return 0
    rows = session.execute(
        select(
            Record.id,
            Record.item_code,
            Record.category,
            Record.severity,
            Record.current_version,
            Record.status,
        )
        .where(Record.subject_id == from_subject_id)
        .order_by(Record.id)
    ).all()
    if not rows:
        return 0
    now = datetime.now(UTC)
    ids = [r.id for r in rows]
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        session.execute(
            update(Record)
            .where(Record.id.in_(part))
            .values(subject_id=to_subject_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    _expire(session, ids)
    events = [
        _event_row(
            "record.reassigned",
            {
                "subject_id": to_subject_id,
                "record_id": r.id,
                "item_code": r.item_code,
                "category": r.category,
                "severity": r.severity,
                "version": r.current_version,
                "status": r.status,
                "from_subject_id": from_subject_id,
            },
            now,
        )
        for r in rows
    ]
    events.append(
        {
            "type": "subject.records_reassigned",
            "subject_id": from_subject_id,
            "record_id": None,
            "payload": {
                "subject_id": from_subject_id,
                "to_subject_id": to_subject_id,
                "records": len(rows),
            },
            "created_at": now,
        }
    )
    session.execute(insert(Event), events)
    # The move is a change of the record rows' subject: ledgered, so verify can tell it from an
    # edit made behind the platform's back.
    ledger.append_many(
        session,
        (
            (
                "record.reassigned",
                f"record:{r.id}/subject",
                {"record_id": r.id, "subject_id": to_subject_id, "from_subject_id": from_subject_id},
            )
            for r in rows
        ),
    )
    return len(rows)


# --- decisions about a record: objections and credit repairs -----------------------------------

# Field types a correction may set as plain text (dates as YYYY-MM-DD); identifiers, enums and
# amounts go through the provider's own resubmission, which validates them.
_CORRECTABLE_TYPES = frozenset({"string", "text", "date"})


def _current_version_data(session: Session, record: Record) -> dict[str, Any]:
    data = session.scalar(
        select(RecordVersion.data).where(
            RecordVersion.record_id == record.id, RecordVersion.version == record.current_version
        )
    )
    return dict(data or {})


def _load_record(session: Session, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(
            f"No record {record_id}", "未找到该信用记录", code="record.not_found", record_id=record_id
        )
    return record


def correct(
    session: Session, record_id: int, changes: dict[str, Any], *, reason: str, on: date
) -> RecordOutcome:
    """A correction decided outside a submission (an objection found the record wrong): the
    current content with ``changes`` (catalog field code → value) becomes a new version
    ``corrected`` marked with ``reason``; severity and window are recomputed as for any
    correction, and ``record.corrected`` is written. Same content: ``unchanged``."""
    record = _load_record(session, record_id)
    item = catalog_service.get_catalog().item(record.item_code)
    clean: dict[str, Any] = {}
    for code, value in changes.items():
        spec = item.field(code)
        if spec.type not in _CORRECTABLE_TYPES:
            raise InvalidInput(
                f"Field {code} ({spec.type}) is corrected by the provider's resubmission",
                f"字段“{spec.name_zh}”不能在此更正，请由信息提供单位重新报送",
                code="record.field_not_correctable",
                field=code,
                value=value,
            )
        text_value = str(value).strip()
        if spec.type == "date" and text_value:
            parsed = as_date(text_value)
            if parsed is None:
                raise InvalidInput(
                    f"Field {code}: {text_value!r} is not a date",
                    f"字段“{spec.name_zh}”应为日期（YYYY-MM-DD）：{text_value}",
                    code="record.bad_date",
                    field=code,
                    value=text_value,
                )
            text_value = parsed.isoformat()
        clean[code] = text_value
    data = {**_current_version_data(session, record), **clean}
    outcome = store(
        session,
        item=item,
        subject_id=record.subject_id,
        provider_id=record.provider_id,
        document_number=record.document_number,
        data=data,
        submission_id=None,
        received_on=on,
    )
    if outcome.outcome == "corrected":
        session.execute(
            update(RecordVersion)
            .where(RecordVersion.record_id == record_id, RecordVersion.version == outcome.version)
            .values(reason=reason)
        )
    return outcome


def end_publicity(session: Session, record_id: int, *, reason: str, on: date) -> RecordOutcome:
    """End a record's publicity before its window ends (a granted credit repair): a new version
    ``publicity_ended`` marked with ``reason``, the window's last day set to the day before
    ``on``, and ``record.publicity_ended`` (with the reason) for the credit state and the push
    subscribers. A record no longer in force is ``unchanged``."""
    record = _load_record(session, record_id)
    if record.status != "in_force":
        return RecordOutcome("unchanged", record.id, record.current_version)
    catalog = catalog_service.get_catalog()
    now = datetime.now(UTC)
    version = record.current_version + 1
    data = _current_version_data(session, record)
    digest = session.scalar(
        select(RecordVersion.content_hash).where(
            RecordVersion.record_id == record.id, RecordVersion.version == record.current_version
        )
    )
    last_day = date.fromordinal(on.toordinal() - 1)
    record.status = "publicity_ended"
    record.current_version = version
    if record.publicity_end is None or record.publicity_end > last_day:
        record.publicity_end = last_day
    row = _version_row(record.id, version, "publicity_ended", data, digest or content_hash(data), None, now)
    session.execute(insert(RecordVersion), [{**row, "reason": reason}])
    state = {"status": "publicity_ended", "publicity_end": record.publicity_end.isoformat()}
    _ledger_versions(session, [{**row, "state": state}])
    payload = {
        **status_payload(catalog, record, version, "publicity_ended", record.publicity_end),
        "reason": reason,
    }
    session.execute(insert(Event), [_event_row("record.publicity_ended", payload, now)])
    session.flush()
    return RecordOutcome("publicity_ended", record.id, version)
