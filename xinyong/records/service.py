"""Records service. CONTRACT: ingest and later domains rely on these names and shapes.

A record is one fact about a subject, keyed by (provider, item, document number). Its content
lives in append-only versions; the record row carries the current status, severity and
publicity window. Every change writes an outbox event in the caller's transaction; consumers
in the derived layers (``xinyong.creditstate.consumer`` and others) re-derive their state from
it. Records keep facts only: nothing here writes or reads derived state.

Publicity window: ``publicity_end`` is the LAST day a record is shown (inclusive). ``tick`` on
day D ends the records whose ``publicity_end`` < D, i.e. on the day after the last day.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple, cast

import orjson
from sqlalchemy import (
    Table,
    case,
    event,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import DECISION_DATE, OPERATION, CatalogItem
from xinyong.core import ledger
from xinyong.core.bulk import insert_rows, insert_values, select_rows
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.clock import today_china
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.events import Event
from xinyong.records import visibility as vis
from xinyong.records.models import Record, RecordVersion
from xinyong.records.schemas import (
    RecordDetail,
    RecordPage,
    RecordVersionDetail,
    RecordView,
    VersionInfo,
)

Outcome = Literal["created", "corrected", "withdrawn", "unchanged"]

# Rows handled per statement batch: bounds memory and the size of IN (...) lists.
_CHUNK = 1000
# Deferred ledger entries appended per ``append_many`` call (bounds one statement's size).
_LEDGER_BATCH = 10_000
_RECORDS = cast(Table, Record.__table__)
_VERSIONS = cast(Table, RecordVersion.__table__)
_EVENTS = cast(Table, Event.__table__)
# Column order of the value tuples ``_store_chunk`` builds for versions and events.
_VERSION_KEYS = ("record_id", "version", "change", "data", "content_hash", "submission_id", "created_at")
_EVENT_KEYS = ("type", "subject_id", "record_id", "payload", "created_at")
_VersionValues = tuple[int, int, str, dict[str, Any], str, str | None, datetime]
_EventValues = tuple[str, int, int, dict[str, Any], datetime]


@dataclass
class RecordOutcome:
    outcome: Outcome
    record_id: int
    version: int


class StoreRequest(NamedTuple):
    """One validated row for ``store_many`` (the same arguments ``store`` takes). A named tuple:
    bulk ingest makes one per row, and a frozen dataclass costs several times more to build."""

    subject_id: int
    provider_id: int
    document_number: str
    data: dict[str, Any]
    submission_id: str | None
    received_on: date
    withdraw: bool = False


# --- content ------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    return format(value.normalize(), "f")


def _canonical(value: Any) -> Any:
    """A form in which equal content is equal text: trimmed NFC strings, numbers as plain
    decimals (1, 1.0, "1" and Decimal("1.00") are the same value), ISO dates."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items() if not _empty(v)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_canonical(v) for v in value)
    return str(value)


def _empty(value: Any) -> bool:
    # A missing field, an empty value and None are the same content.
    return value is None or (isinstance(value, str) and not value.strip())


def _jsonable(value: Any) -> Any:
    """The value as stored in a version's JSON (dates ISO, decimals as plain text)."""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if not _empty(v)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    return value


def content_hash(data: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, normalised values) of a record's content.
    操作类型 (``operation``) is an instruction, not content: it does not count."""
    # ``_canonical(content)`` with the plain strings validation produces handled inline (bulk ingest).
    content: dict[str, Any] = {}
    for k, v in data.items():
        if k == OPERATION:
            continue
        if type(v) is str:
            v = v.strip()
            if v:
                content[k] = unicodedata.normalize("NFC", v)
        elif not _empty(v):
            content[str(k)] = _canonical(v)
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _content(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(content_hash(data), _version_data(data))`` in one pass over the row (bulk ingest)."""
    content: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for k, v in data.items():
        if type(v) is str:
            text = v.strip()
            if text:
                out[k] = v
                if k != OPERATION:
                    content[k] = unicodedata.normalize("NFC", text)
        elif not _empty(v):
            out[str(k)] = _jsonable(v)
            if k != OPERATION:
                content[str(k)] = _canonical(v)
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest(), out


def _version_data(data: dict[str, Any]) -> dict[str, Any]:
    """``_jsonable(data)`` with plain strings handled inline (bulk ingest)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if type(v) is str:
            if v.strip():
                out[k] = v
        elif not _empty(v):
            out[str(k)] = _jsonable(v)
    return out


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise InvalidInput(
            f"Decision date {value!r} is not an ISO date",
            f"决定日期“{value}”不是有效日期",
            code="records.bad_decision_date",
            field=DECISION_DATE,
            value=str(value),
        ) from exc


# --- store ----------------------------------------------------------------------------------


def store(
    session: Session,
    *,
    item: CatalogItem,
    subject_id: int,
    provider_id: int,
    document_number: str,
    data: dict[str, Any],
    submission_id: str | None,
    received_on: date,
    withdraw: bool = False,
) -> RecordOutcome:
    """Store one validated row. Same (provider, item, document number) and same content →
    ``unchanged`` (no write); changed content → a new version (``corrected``); ``withdraw`` →
    status ``withdrawn`` as a new version. Severity and publicity window come from the catalog's
    rule tables; an outbox event is written in the same transaction."""
    request = StoreRequest(
        subject_id=subject_id,
        provider_id=provider_id,
        document_number=document_number,
        data=data,
        submission_id=submission_id,
        received_on=received_on,
        withdraw=withdraw,
    )
    return store_many(session, item=item, requests=[request])[0]


def store_many(
    session: Session,
    *,
    item: CatalogItem,
    requests: Sequence[StoreRequest],
    defer_ledger: bool = False,
) -> list[RecordOutcome]:
    """``store`` for many rows of one item with a handful of statements per thousand rows
    (bulk ingest). Outcomes are in input order; the same key twice is applied in order.

    ``defer_ledger``: the ledger entries of the new versions are kept in the session and written
    by ``write_deferred_ledger`` (or, at the latest, when the transaction commits), so a long
    submission takes the ledger's lock once, at its end, instead of at its first chunk."""
    outcomes: list[RecordOutcome] = []
    chunk: list[StoreRequest] = []
    keys: set[tuple[int, str]] = set()
    for req in requests:
        key = (req.provider_id, req.document_number)
        if key in keys or len(chunk) >= _CHUNK:
            outcomes.extend(_store_chunk(session, item, chunk, defer_ledger))
            chunk, keys = [], set()
        chunk.append(req)
        keys.add(key)
    if chunk:
        outcomes.extend(_store_chunk(session, item, chunk, defer_ledger))
    return outcomes


@dataclass
class _Current:
    id: int
    subject_id: int
    status: str
    version: int
    content_hash: str
    publicity_start: date | None
    severity: str | None


def _store_chunk(
    session: Session, item: CatalogItem, chunk: list[StoreRequest], defer_ledger: bool = False
) -> list[RecordOutcome]:
    catalog = catalog_service.get_catalog()
    now = datetime.now(UTC)
    existing = _lookup(session, item.code, chunk)

    outcomes: list[RecordOutcome | None] = [None] * len(chunk)
    new_rows: list[tuple[int, dict[str, Any], dict[str, Any], str]] = []  # (index, record, data, hash)
    updates: list[dict[str, Any]] = []
    versions: list[_VersionValues] = []
    events: list[_EventValues] = []
    withdrawals: list[tuple[int, _Current, StoreRequest]] = []
    item_code, category, polarity = item.code, item.category, item.polarity

    for i, req in enumerate(chunk):
        cur = existing.get((req.provider_id, req.document_number))
        if req.withdraw:
            if cur is None:
                raise NotFound(
                    f"Cannot withdraw unknown record {req.document_number!r}",
                    f"撤销的记录不存在：{req.document_number}",
                    code="record.withdraw_unknown",
                    item_code=item.code,
                    provider_id=req.provider_id,
                    document_number=req.document_number,
                )
            if cur.status == "withdrawn":
                outcomes[i] = RecordOutcome("unchanged", cur.id, cur.version)
            else:
                withdrawals.append((i, cur, req))
            continue

        digest, data = _content(req.data)
        if cur is not None and cur.content_hash == digest:
            outcomes[i] = RecordOutcome("unchanged", cur.id, cur.version)
            continue

        decision_date = _as_date(req.data.get(DECISION_DATE))
        sev = catalog.derive_severity(item, req.data)
        # The period runs from the date of publication: a correction keeps the first one.
        published_on = (cur.publicity_start if cur else None) or req.received_on
        window = catalog.publicity_window(
            item, sev.severity, decision_date or req.received_on, published_on, data=req.data
        )
        derived: dict[str, Any] = {
            "subject_id": req.subject_id,
            "severity": sev.severity,
            "severity_rule": sev.rule_id,
            "decision_date": decision_date,
            "publicity_rule": window.rule_id if window else None,
            "publicity_start": window.start if window else None,
            "publicity_min_end": window.min_end if window else None,
            "publicity_end": window.end if window else None,
            "updated_at": now,
        }
        if cur is None:
            derived["item_code"] = item_code
            derived["category"] = category
            derived["provider_id"] = req.provider_id
            derived["document_number"] = req.document_number
            derived["current_version"] = 1
            derived["status"] = "in_force"
            derived["created_at"] = now
            new_rows.append((i, derived, data, digest))
            continue

        # Correction: a new version; a withdrawn record stays withdrawn (only an explicit act
        # reinstates), an ended one comes back if the recomputed window is open again.
        status = cur.status
        end = derived["publicity_end"]
        if status == "publicity_ended" and (end is None or end >= req.received_on):
            status = "in_force"
        version = cur.version + 1
        updates.append({"id": cur.id, **derived, "status": status, "current_version": version})
        versions.append((cur.id, version, "corrected", data, digest, req.submission_id, now))
        payload = _payload(
            item,
            cur.id,
            req.subject_id,
            derived["severity"],
            version,
            status,
            req,
            publicity_end=end,
        )
        if cur.subject_id != req.subject_id:
            payload["previous_subject_id"] = cur.subject_id
        events.append(("record.corrected", req.subject_id, cur.id, payload, now))
        outcomes[i] = RecordOutcome("corrected", cur.id, version)

    if withdrawals:
        current_data = _current_data(session, [(c.id, c.version) for _, c, _ in withdrawals])
        for i, cur, req in withdrawals:
            version = cur.version + 1
            updates.append(
                {"id": cur.id, "status": "withdrawn", "current_version": version, "updated_at": now}
            )
            versions.append(
                (cur.id, version, "withdrawn", current_data[cur.id], cur.content_hash, req.submission_id, now)
            )
            payload = _payload(item, cur.id, cur.subject_id, cur.severity, version, "withdrawn", req)
            events.append(("record.withdrawn", cur.subject_id, cur.id, payload, now))
            outcomes[i] = RecordOutcome("withdrawn", cur.id, version)

    if new_rows:
        # RETURNING rows may come back in any order (asking SQLAlchemy to sort them makes it send
        # SQLite one INSERT per row): map them back by the key, unique within a chunk.
        returned = insert_rows(
            session,
            _RECORDS,
            [r for _, r, _, _ in new_rows],
            returning=("id", "provider_id", "document_number"),
        )
        by_key = {(provider_id, doc): rid for rid, provider_id, doc in returned}
        for i, record, data, digest in new_rows:
            req = chunk[i]
            record_id = by_key[(req.provider_id, req.document_number)]
            versions.append((record_id, 1, "created", data, digest, req.submission_id, now))
            end = record["publicity_end"]
            # ``_payload(item, record_id, ..., req, publicity_end=end)``, inline (one per row).
            payload = {
                "subject_id": req.subject_id,
                "record_id": record_id,
                "item_code": item_code,
                "category": category,
                "polarity": polarity,
                "severity": record["severity"],
                "version": 1,
                "status": "in_force",
                "publicity_end": end.isoformat() if end else None,
                "provider_id": req.provider_id,
                "document_number": req.document_number,
                "submission_id": req.submission_id,
            }
            events.append(("record.created", req.subject_id, record_id, payload, now))
            outcomes[i] = RecordOutcome("created", record_id, 1)

    if updates:
        session.execute(update(Record), updates)
        _expire(session, [u["id"] for u in updates])
    if versions:
        insert_values(session, _VERSIONS, _VERSION_KEYS, versions)
        _ledger_entries(session, [(v[0], v[1], v[2], v[4], v[5]) for v in versions], defer=defer_ledger)
    if events:
        insert_values(session, _EVENTS, _EVENT_KEYS, events)

    result = [o for o in outcomes if o is not None]
    assert len(result) == len(chunk)
    return result


# PostgreSQL plans a lookup of many keys from table statistics, which are stale in the middle
# of a bulk load into a fresh table; it then filters the whole (provider, item) index range per
# batch. A LATERAL point lookup per key (LIMIT 1 keeps it from being flattened) always uses the
# unique index, whatever the statistics say.
_PG_LOOKUP = text(
    """
    SELECT r.id, r.provider_id, r.document_number, r.subject_id, r.status, r.current_version,
           v.content_hash, r.publicity_start, r.severity
    FROM unnest(CAST(:providers AS integer[]), CAST(:documents AS varchar[])) AS k(provider_id, document_number)
    JOIN LATERAL (
        SELECT * FROM records
        WHERE records.provider_id = k.provider_id AND records.item_code = :item_code
          AND records.document_number = k.document_number
        LIMIT 1
    ) AS r ON true
    JOIN record_versions v ON v.record_id = r.id AND v.version = r.current_version
    """
)


def _lookup(session: Session, item_code: str, chunk: list[StoreRequest]) -> dict[tuple[int, str], _Current]:
    if _dialect(session) == "postgresql":
        keys = sorted({(r.provider_id, r.document_number) for r in chunk})
        rows: Iterable[Any] = select_rows(
            session,
            _PG_LOOKUP,
            {
                "providers": [k[0] for k in keys],
                "documents": [k[1] for k in keys],
                "item_code": item_code,
            },
        )
    else:
        rows = select_rows(
            session,
            select(
                Record.id,
                Record.provider_id,
                Record.document_number,
                Record.subject_id,
                Record.status,
                Record.current_version,
                RecordVersion.content_hash,
                Record.publicity_start,
                Record.severity,
            )
            .join(
                RecordVersion,
                (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
            )
            .where(
                Record.item_code == item_code,
                Record.provider_id.in_({r.provider_id for r in chunk}),
                Record.document_number.in_({r.document_number for r in chunk}),
            ),
        )
    return {
        (r.provider_id, r.document_number): _Current(
            r.id, r.subject_id, r.status, r.current_version, r.content_hash, r.publicity_start, r.severity
        )
        for r in rows
    }


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _current_data(session: Session, keys: list[tuple[int, int]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(keys), _CHUNK):
        part = keys[start : start + _CHUNK]
        rows = session.execute(
            select(RecordVersion.record_id, RecordVersion.data).where(
                tuple_(RecordVersion.record_id, RecordVersion.version).in_(part)
            )
        )
        out.update({r.record_id: r.data for r in rows})
    return out


def _version_row(
    record_id: int,
    version: int,
    change: str,
    data: dict[str, Any],
    digest: str,
    submission_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "version": version,
        "change": change,
        "data": data,
        "content_hash": digest,
        "submission_id": submission_id,
        "created_at": now,
    }


def _payload(
    item: CatalogItem,
    record_id: int,
    subject_id: int,
    severity: str | None,
    version: int,
    status: str,
    req: StoreRequest | None = None,
    *,
    publicity_end: date | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "subject_id": subject_id,
        "record_id": record_id,
        "item_code": item.code,
        "category": item.category,
        "polarity": item.polarity,
        "severity": severity,
        "version": version,
        "status": status,
        "publicity_end": publicity_end.isoformat() if publicity_end else None,
    }
    if req is not None:
        payload["provider_id"] = req.provider_id
        payload["document_number"] = req.document_number
        payload["submission_id"] = req.submission_id
    return payload


_LedgerVersion = tuple[int, int, str, str, str | None]  # record_id, version, change, hash, submission
_DEFERRED = "xinyong.records.deferred_ledger"


def _ledger_versions(session: Session, versions: list[dict[str, Any]], *, defer: bool = False) -> None:
    """Every record version goes into the tamper-evident ledger in the same transaction. The
    payload carries the content hash, not the content, so the public ledger leaks nothing."""
    entries = [
        (v["record_id"], v["version"], v["change"], v["content_hash"], v["submission_id"]) for v in versions
    ]
    _ledger_entries(session, entries, defer=defer)


def _ledger_entries(session: Session, entries: list[_LedgerVersion], *, defer: bool = False) -> None:
    """``_ledger_versions`` for (record id, version, change, content hash, submission id)."""
    if not defer:
        _append_versions(session, entries)
        return
    pending: list[_LedgerVersion] | None = session.info.get(_DEFERRED)
    if pending is None:
        pending = session.info[_DEFERRED] = []
        if not session.info.get(_DEFERRED + ".hooked"):
            session.info[_DEFERRED + ".hooked"] = True
            # Never lost: written before any commit, dropped with a rollback.
            event.listen(session, "before_commit", write_deferred_ledger)
            event.listen(session, "after_rollback", _drop_deferred_ledger)
    pending.extend(entries)


def write_deferred_ledger(session: Session) -> int:
    """Append the ledger entries ``store_many(..., defer_ledger=True)`` kept, in the order of
    their versions; returns how many. Called before the transaction commits (automatically at
    the latest), so the entries commit with the versions."""
    pending: list[_LedgerVersion] | None = session.info.pop(_DEFERRED, None)
    if not pending:
        return 0
    for start in range(0, len(pending), _LEDGER_BATCH):
        _append_versions(session, pending[start : start + _LEDGER_BATCH])
    return len(pending)


def _drop_deferred_ledger(session: Session) -> None:
    session.info.pop(_DEFERRED, None)


def _append_versions(session: Session, entries: Sequence[_LedgerVersion]) -> None:
    ledger.append_many(
        session,
        (
            (
                "record.version",
                f"record:{record_id}/v{version}",
                {
                    "record_id": record_id,
                    "version": version,
                    "change": change,
                    "content_hash": digest,
                    "submission_id": submission_id,
                },
            )
            for record_id, version, change, digest, submission_id in entries
        ),
    )


def _event_row(type_: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "type": type_,
        "subject_id": payload["subject_id"],
        "record_id": payload["record_id"],
        "payload": payload,
        "created_at": now,
    }


def _expire(session: Session, record_ids: Iterable[int]) -> None:
    # Bulk UPDATEs bypass the identity map: make loaded Record objects re-read their row.
    for rid in record_ids:
        obj = session.identity_map.get(Session.identity_key(Record, rid))
        if obj is not None:
            session.expire(obj)


# --- tick -----------------------------------------------------------------------------------


def tick(session: Session, today: date) -> int:
    """End publicity of records whose window's end has passed; returns how many ended.

    ``publicity_end`` is the last day shown, so records with ``publicity_end < today`` end.
    Idempotent: an ended record is no longer ``in_force`` and is not touched again."""
    catalog = catalog_service.get_catalog()
    # One scan for the ids, then batches by primary key (cheap whatever the statistics say).
    ids = list(
        session.scalars(
            select(Record.id)
            .where(Record.status == "in_force", Record.publicity_end < today)
            .order_by(Record.id)
        )
    )
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(
                Record.id,
                Record.subject_id,
                Record.item_code,
                Record.category,
                Record.severity,
                Record.current_version,
                Record.publicity_end,
                RecordVersion.data,
                RecordVersion.content_hash,
            )
            .join(
                RecordVersion,
                (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
            )
            .where(Record.id.in_(ids[start : start + _CHUNK]))
        ).all()
        now = datetime.now(UTC)
        updates, versions, events = [], [], []
        for r in rows:
            version = r.current_version + 1
            updates.append(
                {"id": r.id, "status": "publicity_ended", "current_version": version, "updated_at": now}
            )
            versions.append(_version_row(r.id, version, "publicity_ended", r.data, r.content_hash, None, now))
            payload = {
                "subject_id": r.subject_id,
                "record_id": r.id,
                "item_code": r.item_code,
                "category": r.category,
                "polarity": polarity(catalog, r.item_code, r.severity),
                "severity": r.severity,
                "version": version,
                "status": "publicity_ended",
                "publicity_end": r.publicity_end.isoformat(),
            }
            events.append(_event_row("record.publicity_ended", payload, now))
        if updates:
            session.execute(update(Record), updates)
            _expire(session, [u["id"] for u in updates])
            session.execute(insert(RecordVersion), versions)
            _ledger_versions(session, versions)
            session.execute(insert(Event), events)
    return len(ids)


# --- what the derived layers read ----------------------------------------------------------


def polarity(catalog: catalog_service.Catalog, item_code: str, severity: str | None) -> str:
    """The item's polarity (positive, negative, neutral) as events and counts carry it."""
    try:
        return catalog.item(item_code).polarity
    except NotFound:
        # An item no longer in the ruleset: a severity class means it was negative information.
        return "negative" if severity else "neutral"


# As for ``_PG_LOOKUP``: one index lookup per subject, independent of stale statistics.
# The status is grouped on, not filtered on: with ``status = 'in_force'`` in the WHERE clause
# both stores (SQLite always, PostgreSQL with the statistics of a table still being loaded)
# intersect with the status index, i.e. read every in-force record for each batch of subjects.
_PG_AGGREGATE = text(
    """
    SELECT s.subject_id, a.category, a.item_code, a.severity, a.status, a.n
    FROM unnest(CAST(:subjects AS integer[])) AS s(subject_id)
    JOIN LATERAL (
        SELECT category, item_code, severity, status, count(*) AS n FROM records
        WHERE records.subject_id = s.subject_id
        GROUP BY category, item_code, severity, status
    ) AS a ON true
    """
)


def record_counts(session: Session, subject_ids: Sequence[int]) -> list[Any]:
    """How many records each of ``subject_ids`` has, as rows of (subject_id, category,
    item_code, severity, status, count): one aggregate query (callers pass at most ~1,000
    subjects). Subjects without records have no row."""
    if _dialect(session) == "postgresql":
        return select_rows(session, _PG_AGGREGATE, {"subjects": list(subject_ids)})
    return select_rows(
        session,
        select(
            Record.subject_id,
            Record.category,
            Record.item_code,
            Record.severity,
            Record.status,
            func.count(),
        )
        .where(Record.subject_id.in_(subject_ids))
        .group_by(Record.subject_id, Record.category, Record.item_code, Record.severity, Record.status),
    )


# --- reassign -------------------------------------------------------------------------------


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
    return len(rows)


# --- reading --------------------------------------------------------------------------------


def get_record(session: Session, record_id: int) -> RecordDetail:
    """A record with all its versions, every field (internal view; not for the public)."""
    record = session.get(Record, record_id)
    if record is None:
        raise _record_not_found(record_id)
    versions = session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == record_id).order_by(RecordVersion.version)
    )
    return RecordDetail(
        id=record.id,
        subject_id=record.subject_id,
        item_code=record.item_code,
        category=record.category,
        provider_id=record.provider_id,
        document_number=record.document_number,
        status=record.status,
        current_version=record.current_version,
        severity=record.severity,
        severity_rule=record.severity_rule,
        decision_date=record.decision_date,
        publicity_rule=record.publicity_rule,
        publicity_start=record.publicity_start,
        publicity_min_end=record.publicity_min_end,
        publicity_end=record.publicity_end,
        created_at=record.created_at,
        updated_at=record.updated_at,
        versions=[
            RecordVersionDetail(
                version=v.version,
                change=v.change,
                data=v.data,
                content_hash=v.content_hash,
                submission_id=v.submission_id,
                created_at=v.created_at,
            )
            for v in versions
        ],
    )


def view_record(
    session: Session, record_id: int, *, visibility: str | vis.Viewer = "public", today: date | None = None
) -> RecordView:
    """A record as ``visibility`` may see it: its visible fields of the current version and
    the list of versions (number, change, date; outside the public view also each version's
    visible fields). ``NotFound`` when it may not see the record."""
    vis.check_visibility(visibility)
    viewer = vis.as_viewer(visibility)
    today = today or today_china()
    record = session.get(Record, record_id)
    if record is None:
        raise _record_not_found(record_id)
    kind = _subject_kind(session, record.subject_id)
    if not vis.record_visible(
        visibility,
        subject_kind=kind,
        today=today,
        status=record.status,
        category=record.category,
        publicity_start=record.publicity_start,
        publicity_end=record.publicity_end,
        provider_id=record.provider_id,
    ):
        raise _record_not_found(record_id)
    versions = session.execute(
        select(RecordVersion.version, RecordVersion.change, RecordVersion.created_at, RecordVersion.data)
        .where(RecordVersion.record_id == record_id)
        .order_by(RecordVersion.version)
    ).all()
    data = session.scalar(
        select(RecordVersion.data).where(
            RecordVersion.record_id == record_id, RecordVersion.version == record.current_version
        )
    )
    view = _view(record, data or {}, viewer, kind)
    item = _catalog_item(record.item_code)
    detailed = item is not None and viewer.level_for(record.provider_id) != "public"
    view.versions = [
        VersionInfo(
            version=v.version,
            change=v.change,
            date=_china_date(v.created_at),
            fields=vis.visible_fields(
                item, v.data or {}, viewer, subject_kind=kind, provider_id=record.provider_id
            )
            if detailed and item is not None
            else None,
        )
        for v in versions
    ]
    return view


def _check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= 200:
        raise InvalidInput(
            "page must be >= 1 and per_page between 1 and 200",
            "页码须不小于1，每页条数须在1到200之间",
            code="records.bad_page",
            page=page,
            per_page=per_page,
        )


def _record_page(
    session: Session, conditions: list[Any], page: int, per_page: int
) -> tuple[int, Sequence[Row[Record, Any]]]:
    """The count of records matching ``conditions`` and one page of them with their current
    version's data, newest decision first."""
    total = session.scalar(select(func.count()).select_from(Record).where(*conditions)) or 0
    rows = session.execute(
        select(Record, RecordVersion.data)
        .join(
            RecordVersion,
            (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
        )
        .where(*conditions)
        .order_by(Record.decision_date.desc().nulls_last(), Record.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return total, rows


def list_subject_records(
    session: Session,
    subject_id: int,
    *,
    visibility: str | vis.Viewer = "public",
    today: date | None = None,
    category: str | None = None,
    page: int = 1,
    per_page: int = 20,
    item_codes: Sequence[str] | None = None,
) -> RecordPage:
    """A subject's records that ``visibility`` may see, newest decision first, paginated.

    ``public``: only fields whose catalog disclosure is public, only records in force inside
    their publicity window, never penalties of natural persons (see ``visibility``). ``item_codes``:
    only records of these catalog items (an API key limited to items)."""
    vis.check_visibility(visibility)
    _check_page(page, per_page)
    today = today or today_china()
    kind = _subject_kind(session, subject_id)
    conditions = [
        Record.subject_id == subject_id,
        *vis.record_filter(visibility, subject_kind=kind, today=today),
    ]
    if category:
        conditions.append(Record.category == category)
    if item_codes is not None:
        conditions.append(Record.item_code.in_(list(item_codes)))
    total, rows = _record_page(session, conditions, page, per_page)
    items = [_view(record, data, visibility, kind) for record, data in rows]
    return RecordPage(total=total, page=page, per_page=per_page, items=items)


def _catalog_item(code: str) -> CatalogItem | None:
    try:
        return catalog_service.get_catalog().item(code)
    except NotFound:
        return None


def _view(
    record: Record, data: dict[str, Any], visibility: str | vis.Viewer, subject_kind: str | None
) -> RecordView:
    item = _catalog_item(record.item_code)
    fields = (
        vis.visible_fields(item, data, visibility, subject_kind=subject_kind, provider_id=record.provider_id)
        if item
        else {}
    )
    return RecordView(
        id=record.id,
        item_code=record.item_code,
        item_name_zh=item.name_zh if item else record.item_code,
        category=record.category,
        document_number=record.document_number,
        status=record.status,
        severity=record.severity,
        decision_date=record.decision_date,
        publicity_start=record.publicity_start,
        publicity_end=record.publicity_end,
        version=record.current_version,
        fields=fields,
        subject_id=record.subject_id,
        provider_id=record.provider_id,
    )


def _subject_kind(session: Session, subject_id: int) -> str | None:
    from xinyong.subjects import service as subjects_service

    try:
        return subjects_service.get_subject(session, subject_id).kind
    except NotFound:
        return None


def _china_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_CHINA).date()


def _record_not_found(record_id: int) -> NotFound:
    return NotFound(
        f"Record {record_id} not found",
        f"未找到信用记录：{record_id}",
        code="record.not_found",
        record_id=record_id,
    )


# =============================================================================================
# Public browsing of 双公示 across subjects (added by the portal work, issue 7; the records
# engineer may fold it into the sections above). The visibility rule is the one of
# ``visibility.record_filter``; a list spanning many subjects cannot pass one subject kind, so
# natural persons' penalties are left out with a sub-select the subjects service provides.


@dataclass
class PublicityPage:
    total: int
    page: int
    per_page: int
    items: list[RecordView]  # each with subject_id and provider_id set


def public_person_name(name: str) -> str:
    """A natural person's name as public pages show it (de-identified, see ``visibility``)."""
    return vis.mask_person_name(name)


def _cross_subject_filter(visibility: str, today: date) -> list[Any]:
    from xinyong.subjects import service as subjects_service

    conditions: list[Any] = list(vis.record_filter(visibility, subject_kind=None, today=today))
    persons = subjects_service.ids_of_kind(vis.NATURAL_PERSON)
    conditions.append(~((Record.category == vis.PENALTY_CATEGORY) & Record.subject_id.in_(persons)))
    return conditions


def list_publicity(
    session: Session,
    *,
    item_codes: Sequence[str],
    provider_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    visibility: str = "public",
    today: date | None = None,
    page: int = 1,
    per_page: int = 20,
) -> PublicityPage:
    """Records of ``item_codes`` that ``visibility`` may see, across all subjects, newest
    decision first; optionally one provider's and decisions between two dates (inclusive)."""
    vis.check_visibility(visibility)
    _check_page(page, per_page)
    today = today or today_china()
    conditions = [Record.item_code.in_(list(item_codes)), *_cross_subject_filter(visibility, today)]
    if provider_id is not None:
        conditions.append(Record.provider_id == provider_id)
    if date_from is not None:
        conditions.append(Record.decision_date >= date_from)
    if date_to is not None:
        conditions.append(Record.decision_date <= date_to)
    total, rows = _record_page(session, conditions, page, per_page)
    kinds: dict[int, str | None] = {}
    items = []
    for record, data in rows:
        if record.subject_id not in kinds:
            kinds[record.subject_id] = _subject_kind(session, record.subject_id)
        items.append(_view(record, data, visibility, kinds[record.subject_id]))
    return PublicityPage(total=total, page=page, per_page=per_page, items=items)


def publicity_counts(
    session: Session, *, visibility: str = "public", today: date | None = None
) -> dict[str, int]:
    """How many records ``visibility`` may see now, by category (e.g. for the portal's home page)."""
    today = today or today_china()
    rows = session.execute(
        select(Record.category, func.count())
        .where(*_cross_subject_filter(visibility, today))
        .group_by(Record.category)
    ).all()
    return {category: int(n) for category, n in rows}


# =============================================================================================
# Inputs of the evaluation step (added by the evaluation work, issue 5). The evaluation engine
# reads the records in force at a moment through ``evaluation_records``; it writes the grade
# columns of the credit state row through ``xinyong.creditstate.service.set_evaluations``.


@dataclass(frozen=True)
class EvaluationRecord:
    """One record in force at the snapshot, with the content fields ("facts") asked for."""

    record_id: int
    subject_id: int
    item_code: str
    category: str
    severity: str | None
    decision_date: date | None
    publicity_end: date | None
    facts: dict[str, str | None]


def _fact_columns(facts: Mapping[str, Sequence[str]]) -> list[tuple[str, Any]]:
    """One text column per fact field, read from the version's JSON only for the items that
    declare it (JSON_EXTRACT on SQLite, ->> on PostgreSQL)."""
    by_field: dict[str, list[str]] = defaultdict(list)
    for item_code, fields in facts.items():
        for fld in fields:
            by_field[fld].append(item_code)

    return [
        (fld, case((Record.item_code.in_(items), RecordVersion.data[fld].as_string()), else_=None))
        for fld, items in sorted(by_field.items())
    ]


def evaluation_records(
    session: Session,
    *,
    items: Sequence[str],
    facts: Mapping[str, Sequence[str]] | None = None,
    subject_ids: Sequence[int] | None = None,
    at: datetime | None = None,
    include_ended: bool = False,
) -> list[EvaluationRecord]:
    """The records of ``items`` in force at ``at`` (None: now, from the current status), with
    the content fields ``facts`` ({item: [field, ...]}) of the version current at that moment.

    ``at`` in the past reads the versions: a record is in force at ``at`` when it existed then,
    its latest version by then is not a withdrawal or an end of publicity, and it had not been
    withdrawn before. Severity and decision date of a record corrected after ``at`` are derived
    again from the content it had at ``at`` (the catalog's rules). ``include_ended`` (current
    state only) adds the records whose publicity has ended (backtests look at the past)."""
    fact_cols = _fact_columns(facts or {})
    cols = [
        Record.id,
        Record.subject_id,
        Record.item_code,
        Record.category,
        Record.severity,
        Record.decision_date,
        Record.publicity_end,
        *[c.label(f"fact__{name}") for name, c in fact_cols],
    ]
    if at is None:
        stmt = (
            select(*cols)
            .join(
                RecordVersion,
                (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.current_version),
            )
            .where(
                Record.status.in_(("in_force", "publicity_ended") if include_ended else ("in_force",)),
                Record.item_code.in_(list(items)),
            )
        )
        later: set[int] = set()
    else:
        latest = (
            select(RecordVersion.record_id, func.max(RecordVersion.version).label("version"))
            .where(RecordVersion.created_at <= at)
            .group_by(RecordVersion.record_id)
            .subquery()
        )
        withdrawn = select(RecordVersion.record_id).where(
            RecordVersion.change == "withdrawn", RecordVersion.created_at <= at
        )
        stmt = (
            select(*cols, RecordVersion.data)
            .join(latest, latest.c.record_id == Record.id)
            .join(
                RecordVersion,
                (RecordVersion.record_id == Record.id) & (RecordVersion.version == latest.c.version),
            )
            .where(
                Record.item_code.in_(list(items)),
                RecordVersion.change.not_in(("withdrawn", "publicity_ended")),
                Record.id.not_in(withdrawn),
            )
        )
        later_stmt = select(RecordVersion.record_id).where(
            RecordVersion.created_at > at, RecordVersion.change == "corrected"
        )
        if subject_ids is not None:
            later_stmt = later_stmt.join(Record, Record.id == RecordVersion.record_id).where(
                Record.subject_id.in_(list(subject_ids))
            )
        later = set(session.scalars(later_stmt))
    out: list[EvaluationRecord] = []
    catalog = catalog_service.get_catalog() if later else None
    id_chunks: list[Sequence[int] | None] = [None]
    if subject_ids is not None:
        ids = sorted(set(subject_ids))
        id_chunks = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    names = [name for name, _ in fact_cols]
    for chunk in id_chunks:
        part = stmt if chunk is None else stmt.where(Record.subject_id.in_(list(chunk)))
        for row in session.execute(part):
            severity, decided = row.severity, row.decision_date
            if row.id in later and catalog is not None:
                # Corrected after ``at``: what the rules said of the content it had then.
                try:
                    item = catalog.item(row.item_code)
                    severity = catalog.derive_severity(item, dict(row.data)).severity
                    decided = _as_date(row.data.get(DECISION_DATE)) or decided
                except (NotFound, InvalidInput):
                    pass
            out.append(
                EvaluationRecord(
                    record_id=row.id,
                    subject_id=row.subject_id,
                    item_code=row.item_code,
                    category=row.category,
                    severity=severity,
                    decision_date=decided,
                    publicity_end=row.publicity_end,
                    facts={n: getattr(row, f"fact__{n}") for n in names},
                )
            )
    return out
