"""Records: every write. CONTRACT: ingest and later domains rely on these names and shapes.

A record is one fact about a subject, keyed by (provider, item, document number). Its content
lives in append-only versions; the record row carries the current status, severity and
publicity window. Every change (``store``/``store_many``, the daily ``tick``, a governance
``reassign_subject``) writes an outbox event in the caller's transaction; consumers in the
derived layers (``xinyong.creditstate.consumer`` and others) re-derive their state from it.
Records keep facts only: nothing here writes or reads derived state. The reads are in
``service.py``.

Publicity window: ``publicity_end`` is the LAST day a record is shown (inclusive). ``tick`` on
day D ends the records whose ``publicity_end`` < D, i.e. on the day after the last day.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple, cast

import orjson
from sqlalchemy import Table, event, insert, select, text, tuple_, update
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import DECISION_DATE, OPERATION, CatalogItem
from xinyong.core.bulk import insert_rows, insert_values, select_rows
from xinyong.core.dates import as_date
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.events import Event
from xinyong.ledger import service as ledger
from xinyong.records.models import Record, RecordVersion

Outcome = Literal["created", "corrected", "withdrawn", "unchanged", "publicity_ended"]

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


def as_decision_date(value: Any) -> date | None:
    """The decision date a record's content gives (``as_date``); a value that is there but not a
    date is refused (``InvalidInput``)."""
    day = as_date(value)
    if day is None and value is not None and value != "":
        raise InvalidInput(
            f"Decision date {value!r} is not an ISO date",
            f"决定日期“{value}”不是有效日期",
            code="records.bad_decision_date",
            field=DECISION_DATE,
            value=str(value),
        )
    return day


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
    # (record id, version) -> the record row's fields this version set, for its ledger entry.
    states: dict[tuple[int, int], dict[str, Any]] = {}
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

        decision_date = as_decision_date(req.data.get(DECISION_DATE))
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
            **window_fields(window),
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
        states[(cur.id, version)] = record_state(derived, status)
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
            states[(cur.id, version)] = {"status": "withdrawn"}
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
            states[(record_id, 1)] = record_state(record, "in_force")
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
        _ledger_entries(
            session,
            [(v[0], v[1], v[2], v[4], v[5], states[(v[0], v[1])]) for v in versions],
            defer=defer_ledger,
        )
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


# record_id, version, change, content hash, submission, the record fields this version set
_LedgerVersion = tuple[int, int, str, str, str | None, dict[str, Any]]
# The record row's fields a version's ledger entry carries (``state``): ``xinyong ledger verify``
# folds them over a record's entries and compares the row (records/integrity.py).
STATE_FIELDS = (
    "subject_id",
    "status",
    "severity",
    "severity_rule",
    "decision_date",
    "publicity_rule",
    "publicity_start",
    "publicity_min_end",
    "publicity_end",
)


def window_fields(window: catalog_service.PublicityWindow | None) -> dict[str, Any]:
    """The record's columns of its publicity window (None: never published)."""
    return {
        "publicity_rule": window.rule_id if window else None,
        "publicity_start": window.start if window else None,
        "publicity_min_end": window.min_end if window else None,
        "publicity_end": window.end if window else None,
    }


def record_state(fields: dict[str, Any], status: str, names: Sequence[str] = STATE_FIELDS) -> dict[str, Any]:
    """The ``state`` a version's ledger entry keeps (dates ISO): of a created or corrected version
    every field the store derived; of a later step only the ``names`` it set."""
    out: dict[str, Any] = {}
    for name in names:
        value = status if name == "status" else fields.get(name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


_DEFERRED = "xinyong.records.deferred_ledger"


def _ledger_versions(session: Session, versions: list[dict[str, Any]], *, defer: bool = False) -> None:
    """Every record version goes into the tamper-evident ledger in the same transaction. The
    payload carries the content hash, not the content, so the public ledger leaks nothing."""
    entries = [
        (v["record_id"], v["version"], v["change"], v["content_hash"], v["submission_id"], v["state"])
        for v in versions
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
                    "state": state,
                },
            )
            for record_id, version, change, digest, submission_id, state in entries
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
            payload = status_payload(catalog, r, version, "publicity_ended", r.publicity_end)
            events.append(_event_row("record.publicity_ended", payload, now))
        if updates:
            session.execute(update(Record), updates)
            _expire(session, [u["id"] for u in updates])
            session.execute(insert(RecordVersion), versions)
            _ledger_versions(session, [{**v, "state": {"status": "publicity_ended"}} for v in versions])
            session.execute(insert(Event), events)
    return len(ids)


def status_payload(
    catalog: catalog_service.Catalog, record: Any, version: int, status: str, publicity_end: date | None
) -> dict[str, Any]:
    """The event payload of a record's change of status (``record``: its row, or a row of the
    records table's columns): who, which item, its polarity and severity, the new version."""
    return {
        "subject_id": record.subject_id,
        "record_id": record.id,
        "item_code": record.item_code,
        "category": record.category,
        "polarity": polarity(catalog, record.item_code, record.severity),
        "severity": record.severity,
        "version": version,
        "status": status,
        "publicity_end": publicity_end.isoformat() if publicity_end else None,
    }


def polarity(catalog: catalog_service.Catalog, item_code: str, severity: str | None) -> str:
    """The item's polarity (positive, negative, neutral) as events and counts carry it."""
    try:
        return catalog.item(item_code).polarity
    except NotFound:
        # An item no longer in the ruleset: a severity class means it was negative information.
        return "negative" if severity else "neutral"


# --- reassign -------------------------------------------------------------------------------
