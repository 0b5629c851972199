"""Records: the reads. CONTRACT: ingest and later domains rely on these names and shapes.

A subject's records in the view a caller may see (``visibility.py``), one record with its
versions, the public 双公示 lists across subjects, and what the derived layers read of the
records (``record_counts`` for the credit state, ``evaluation_records`` for the evaluation and
the checks). Every write is in ``store.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, exists, func, select, text
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased

from xinyong.access import visibility as vis
from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import DECISION_DATE, CatalogItem
from xinyong.core.bulk import select_rows
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.clock import today_china
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.events import holds
from xinyong.core.identifiers import mask_person_name
from xinyong.core.paging import check_page
from xinyong.records.content_stats import ContentStats as ContentStats
from xinyong.records.content_stats import content_stats as content_stats
from xinyong.records.models import Record, RecordVersion
from xinyong.records.schemas import (
    RecordDetail,
    RecordPage,
    RecordVersionDetail,
    RecordView,
    VersionInfo,
)
from xinyong.records.store import as_decision_date
from xinyong.subjects import service as subjects_service

# Rows handled per statement batch: bounds memory and the size of IN (...) lists.
_CHUNK = 1000


# --- what the derived layers read ----------------------------------------------------------


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
    if session.get_bind().dialect.name == "postgresql":
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


def subject_ids_with_records(session: Session) -> list[int]:
    """Every subject that has at least one record (rebuilding and checking the credit state)."""
    return list(session.scalars(select(Record.subject_id).distinct().order_by(Record.subject_id)))


def _by_record_id(session: Session, column: Any, record_ids: Sequence[int]) -> dict[int, Any]:
    # A Result has .keys() (its column names), so dict.update(result) would read it as a mapping:
    # build the dict from its rows.
    out: dict[int, Any] = {}
    for start in range(0, len(record_ids), 1000):
        part = record_ids[start : start + 1000]
        out.update(
            {
                rid: value
                for rid, value in session.execute(select(Record.id, column).where(Record.id.in_(part)))
            }
        )
    return out


def subjects_of_records(session: Session, record_ids: Sequence[int]) -> dict[int, int]:
    """record id -> its subject id (incremental checks of the credit state)."""
    return _by_record_id(session, Record.subject_id, record_ids)


def item_codes_of(session: Session, record_ids: Sequence[int]) -> dict[int, str]:
    """record id -> its catalog item (objections held, counted per item by data quality)."""
    return _by_record_id(session, Record.item_code, record_ids)


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


def decision_dates(session: Session, record_ids: Sequence[int]) -> dict[int, date | None]:
    """The decision date of each record (ingest recounts timeliness from it)."""
    if not record_ids:
        return {}
    rows = session.execute(select(Record.id, Record.decision_date).where(Record.id.in_(list(record_ids))))
    return {rid: d for rid, d in rows}


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
    check_page(page, per_page, limit=200, code="records.bad_page")


def _not_applying(session: Session) -> list[Any]:
    """Leave out the records whose current version a submission still ``applying`` stored (a big
    submission commits batch by batch and holds the outbox, ``core.events.hold``, until its last
    commit): lists show a submission whole, at its final commit. No condition at all when nothing
    is applying, the usual case."""
    owners = holds(session)
    if not owners:
        return []
    version = aliased(RecordVersion)
    held = (
        select(version.record_id)
        .where(
            version.record_id == Record.id,
            version.version == Record.current_version,
            version.submission_id.in_(owners),
        )
        .correlate(Record)
    )
    return [~exists(held)]


def _record_page(
    session: Session, conditions: list[Any], page: int, per_page: int
) -> tuple[int, Sequence[Row[Record, Any]]]:
    """The count of records matching ``conditions`` and one page of them with their current
    version's data, newest decision first."""
    conditions = [*conditions, *_not_applying(session)]
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
        *vis.record_filter(visibility, subject_kind=kind, today=today, record=Record),
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
    return mask_person_name(name)


def _cross_subject_filter(visibility: str, today: date) -> list[Any]:
    conditions: list[Any] = list(vis.record_filter(visibility, subject_kind=None, today=today, record=Record))
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
    subject_ids: Sequence[int] | None = None,
    visibility: str = "public",
    today: date | None = None,
    page: int = 1,
    per_page: int = 20,
) -> PublicityPage:
    """Records of ``item_codes`` that ``visibility`` may see, across all subjects, newest
    decision first; optionally one provider's, decisions between two dates (inclusive) and only
    the subjects ``subject_ids`` (a keyword search the caller resolved)."""
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
    if subject_ids is not None:
        conditions.append(Record.subject_id.in_(list(subject_ids)))
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
        .where(*_cross_subject_filter(visibility, today), *_not_applying(session))
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
                    decided = as_decision_date(row.data.get(DECISION_DATE)) or decided
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
