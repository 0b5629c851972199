"""Purpose limitation (查询用途) and the query log (查询记录).

* **Purposes**: every query of non-public information names a purpose of
  ``rulesets/<name>/purposes.yaml``; each role may use only the purposes listed for it.
  :func:`require_purpose` turns what a caller sent (``X-Purpose`` header, ``purpose`` parameter,
  a select on a page) into a :class:`Purpose` or raises a clear error.
* **Log**: :func:`log_query` appends one entry (who, organisation, role, purpose, subject, item
  codes returned, when, from where). Entries are never updated or deleted except by
  :func:`purge` after the retention period (``rulesets/<name>/querylog.yaml``), which writes a
  ledger entry. A subject sees who looked at its file (:func:`viewers_of`); staff search
  (:func:`search`) and export (:func:`export_csv`) the log; :func:`unusual_volume` flags users whose
  daily volume passes the thresholds.

Which view of a subject's file a caller gets, and the logging of each read of a file, are
``xinyong.access`` (``access_for``, the dependency ``access.deps.file_read``). Other domains
answering non-public questions without a file view (measures: check answers) call
:func:`require_purpose` before answering and :func:`log_query` (or :func:`entry_values` +
:func:`append_entries`) in the same transaction as the answer.
"""

from __future__ import annotations

import csv
import io
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from typing import cast as typing_cast

from pydantic import Field
from sqlalchemy import Connection, Select, String, Table, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import ACCOUNT_ROLES, ROLE_NAMES_ZH, Principal
from xinyong.catalog.ruleset import Sourced, Strict, read_yaml, validate_file
from xinyong.core.bulk import insert_rows, insert_rows_on
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.clock import today_china
from xinyong.core.db import utcnow
from xinyong.core.errors import Forbidden, InvalidInput
from xinyong.core.paging import check_page, paged
from xinyong.core.settings import get_settings
from xinyong.core.spreadsheet import cell_text
from xinyong.ledger import service as ledger
from xinyong.querylog import seals
from xinyong.querylog.models import QueryLogEntry, QueryLogPurge
from xinyong.subjects import service as subjects_service

CHANNELS: tuple[str, ...] = ("api", "portal", "cli")
# The purpose a subject uses on its own file; implied when a subject reads its own file without
# naming one (it is the only purpose the role may use there).
SELF_QUERY = "self_query"
# The purpose staff use to search and export the log itself.
AUDIT = "audit"


# ---------------------------------------------------------------------------------------------
# Purposes (rulesets/<name>/purposes.yaml)


class _PurposeVersion(Sourced):
    roles: list[str] = Field(min_length=1)
    description_zh: str = ""
    effective_until: date | None = None


class _PurposeEntry(Strict):
    name_zh: str = Field(min_length=1)
    versions: list[_PurposeVersion] = Field(min_length=1)


class _PurposesFile(Strict):
    purposes: dict[str, _PurposeEntry]


class _Retention(Sourced):
    years: int = Field(ge=1)


class _Volume(Sourced):
    max_queries: int = Field(ge=1)
    max_subjects: int = Field(ge=1)


class _QueryLogFile(Strict):
    retention: list[_Retention] = Field(min_length=1)
    unusual_volume: list[_Volume] = Field(min_length=1)


@dataclass(frozen=True)
class Purpose:
    """One purpose as in force on a day."""

    code: str
    name_zh: str
    roles: tuple[str, ...]
    description_zh: str
    effective_from: date
    source: str


def _ruleset_dir() -> Path:
    return Path(get_settings().ruleset_dir)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.is_file() else 0.0


def load_purposes(path: Path) -> _PurposesFile:
    """Parse and validate a ruleset's ``purposes.yaml`` (``InvalidInput`` names the problem)."""
    parsed = validate_file(_PurposesFile, path, read_yaml(path))
    for code, entry in parsed.purposes.items():
        for v in entry.versions:
            bad = set(v.roles) - set(ACCOUNT_ROLES)
            if bad:
                raise InvalidInput(
                    f"purposes.yaml: purpose {code} names unknown roles {sorted(bad)}",
                    f"规则集文件 purposes.yaml：用途 {code} 含未知角色 {sorted(bad)}",
                    code="querylog.ruleset_invalid",
                    purpose=code,
                )
    return parsed


@lru_cache(maxsize=8)
def _purposes_file(path: str, _mtime: float) -> _PurposesFile:
    return load_purposes(Path(path))


@lru_cache(maxsize=8)
def _querylog_file(path: str, _mtime: float) -> _QueryLogFile:
    p = Path(path)
    return validate_file(_QueryLogFile, p, read_yaml(p))


def list_purposes(today: date | None = None) -> list[Purpose]:
    """Every purpose with a version in force ``today``, in file order."""
    return list(_purposes_in_force(*_purposes_version(), today or today_china()))


_purposes_seen: dict[Path, tuple[str, float, float]] = {}  # ruleset dir → (file, mtime, looked at)
# How often the purposes file is looked at for edits (seconds; every non-public query asks).
_PURPOSES_RECHECK = 1.0


def reset_purposes_cache() -> None:
    """Forget the loaded purposes (the next query reads ``purposes.yaml`` again)."""
    _purposes_seen.clear()
    _purposes_file.cache_clear()
    _purposes_in_force.cache_clear()


def _purposes_version() -> tuple[str, float]:
    """(path, mtime) of the purposes file in force, with the file system asked at most every
    ``_PURPOSES_RECHECK`` seconds."""
    directory = get_settings().ruleset_dir
    now = _time.monotonic()
    hit = _purposes_seen.get(directory)
    if hit is None or now - hit[2] > _PURPOSES_RECHECK:
        path = Path(directory) / "purposes.yaml"
        hit = _purposes_seen[directory] = (str(path), _mtime(path), now)
    return hit[0], hit[1]


@lru_cache(maxsize=32)
def _purposes_in_force(path: str, mtime: float, day: date) -> tuple[Purpose, ...]:
    # Every non-public query asks this (the check API's hot path): computed once per file
    # version and day.
    out = []
    for code, entry in _purposes_file(path, mtime).purposes.items():
        live = [
            v
            for v in entry.versions
            if v.effective_from <= day and (v.effective_until is None or day <= v.effective_until)
        ]
        if not live:
            continue
        v = max(live, key=lambda x: x.effective_from)
        out.append(Purpose(code, entry.name_zh, tuple(v.roles), v.description_zh, v.effective_from, v.source))
    return tuple(out)


def purposes_for_role(role: str, today: date | None = None) -> list[Purpose]:
    return [p for p in list_purposes(today) if role in p.roles]


def get_purpose(code_or_name: str, today: date | None = None) -> Purpose:
    """A purpose by its code or its Chinese name (``NotFound``-like ``InvalidInput`` otherwise)."""
    key = code_or_name.strip()
    for p in list_purposes(today):
        if key in (p.code, p.name_zh):
            return p
    raise InvalidInput(
        f"Unknown purpose {key!r}",
        f"未知的查询用途：{key}",
        code="purpose.unknown",
        field="purpose",
        value=key,
        allowed=[p.code for p in list_purposes(today)],
    )


def require_purpose(principal: Principal, raw: str | None, today: date | None = None) -> Purpose:
    """The purpose ``principal`` names for a non-public query, checked against its role.

    Raises ``InvalidInput`` (``purpose.required``, ``purpose.unknown``) or ``Forbidden``
    (``purpose.not_allowed``); every error lists the purposes the role may use."""
    allowed = purposes_for_role(principal.role, today)
    choices = [{"code": p.code, "name_zh": p.name_zh} for p in allowed]
    if raw is None or not raw.strip():
        raise InvalidInput(
            "A purpose is required for this query (header X-Purpose or parameter purpose)",
            "查询非公开信用信息须说明查询用途（请求头 X-Purpose 或参数 purpose）",
            code="purpose.required",
            field="purpose",
            allowed=choices,
        )
    purpose = get_purpose(raw, today)
    if principal.role not in purpose.roles:
        role_zh = ROLE_NAMES_ZH.get(principal.role, principal.role)
        raise Forbidden(
            f"Role {principal.role!r} may not query for purpose {purpose.code!r}",
            f"当前角色（{role_zh}）不得以“{purpose.name_zh}”为用途查询",
            code="purpose.not_allowed",
            field="purpose",
            value=purpose.code,
            role=principal.role,
            allowed=choices,
        )
    return purpose


# ---------------------------------------------------------------------------------------------
# Writing the log


def _label(principal: Principal) -> tuple[str, str]:
    if principal.kind == "cli":
        return f"cli:{principal.username or ''}", "cli"
    return principal.label, principal.kind


def log_query(
    session: Session,
    principal: Principal,
    purpose: str | Purpose,
    subject_id: int | None,
    items: Iterable[str],
    *,
    action: str,
    channel: str = "api",
    result_count: int | None = None,
    reference: str | None = None,
    client_ip: str | None = None,
    at: datetime | None = None,
) -> int:
    """Append one query-log entry and return its id (in the caller's transaction).

    ``principal``: who asked (user or API key; its role, department and IP are recorded).
    ``purpose``: a purpose code (or a :class:`Purpose` from :func:`require_purpose`); it must be
    allowed for the principal's role. ``subject_id``: whose information. ``items``: the catalog
    item codes returned (or measure codes for a check answer). ``action``: what was read, e.g.
    ``records.list``, ``record.view``, ``subject.view``, ``check``, ``report``, ``query_log.export``.
    ``reference``: what to find the answer by (``record:12``, ``check:7`` ...)."""
    values = entry_values(
        principal,
        purpose,
        subject_id,
        items,
        action=action,
        channel=channel,
        result_count=result_count,
        reference=reference,
        client_ip=client_ip,
        at=at,
    )
    result = session.execute(insert(QueryLogEntry).values(**values).returning(QueryLogEntry.id))
    return int(result.scalar_one())


def entry_values(
    principal: Principal,
    purpose: str | Purpose,
    subject_id: int | None,
    items: Iterable[str],
    *,
    action: str,
    channel: str = "api",
    result_count: int | None = None,
    reference: str | None = None,
    client_ip: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One query-log entry as column values, checked like :func:`log_query` but not written:
    for callers that write many entries at once with :func:`append_entries` (the check API's
    group-commit writer)."""
    if channel not in CHANNELS:
        raise InvalidInput(
            f"Unknown channel {channel!r}",
            f"未知的查询渠道：{channel}",
            code="querylog.bad_channel",
            allowed=list(CHANNELS),
        )
    chosen = purpose if isinstance(purpose, Purpose) else require_purpose(principal, purpose)
    codes = list(items)
    actor, kind = _label(principal)
    return {
        "logged_at": (at or utcnow()).astimezone(UTC),
        "actor": actor[:120],
        "actor_kind": kind,
        "user_id": principal.user_id,
        "api_key_id": principal.api_key_id,
        "department_id": principal.department_id,
        "organisation": (principal.organisation or "")[:200],
        "role": principal.role,
        "purpose": chosen.code,
        "subject_id": subject_id,
        "action": action[:64],
        "channel": channel,
        "items": sorted(set(codes)),
        "result_count": len(codes) if result_count is None else result_count,
        "reference": reference[:200] if reference else None,
        "client_ip": (client_ip or principal.client_ip or None),
    }


def append_entries(conn: Session | Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append many entries made by :func:`entry_values` in the transaction of ``conn`` (a
    session, or the connection of a group-commit writer): one driver ``executemany``."""
    table = typing_cast(Table, QueryLogEntry.__table__)
    # Straight to the driver's executemany (``core.bulk``): the check API logs every answer.
    if isinstance(conn, Connection):
        insert_rows_on(conn, table, rows)
    else:
        insert_rows(conn, table, rows)


def log_audit(
    session: Session,
    principal: Principal,
    f: LogFilter,
    *,
    action: str,
    result_count: int,
    channel: str = "api",
) -> int:
    """Log a search or export of the query log itself (purpose ``audit``)."""
    return log_query(
        session,
        principal,
        AUDIT,
        f.subject_id,
        [],
        action=action,
        channel=channel,
        result_count=result_count,
        reference=f.describe() or None,
    )


def subject_ref(session: Session, ref: str) -> int:
    """A subject named by USCC, ID number or its numeric id (``NotFound`` otherwise)."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 12:
        return subjects_service.get_subject(session, int(ref)).id
    return subjects_service.get_by_code(session, ref).id


# ---------------------------------------------------------------------------------------------
# Reading the log


@dataclass
class LogEntry:
    id: int
    logged_at: datetime
    actor: str
    actor_kind: str
    user_id: int | None
    api_key_id: int | None
    department_id: int | None
    organisation: str
    role: str
    purpose: str
    purpose_zh: str
    subject_id: int | None
    action: str
    channel: str
    items: list[str]
    result_count: int
    reference: str | None
    client_ip: str | None


@dataclass
class LogPage:
    total: int
    page: int
    per_page: int
    items: list[LogEntry]


@dataclass
class Viewing:
    """One look at a subject's file, as the subject sees it (no person named, no IP)."""

    logged_at: datetime
    organisation: str
    role: str
    role_zh: str
    purpose: str
    purpose_zh: str
    action: str
    items: list[str]


@dataclass
class ViewingPage:
    total: int
    page: int
    per_page: int
    items: list[Viewing]


def _purpose_names() -> dict[str, str]:
    path = _ruleset_dir() / "purposes.yaml"
    return {code: e.name_zh for code, e in _purposes_file(str(path), _mtime(path)).purposes.items()}


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _entry(row: QueryLogEntry, names: dict[str, str]) -> LogEntry:
    return LogEntry(
        id=row.id,
        logged_at=_aware(row.logged_at),
        actor=row.actor,
        actor_kind=row.actor_kind,
        user_id=row.user_id,
        api_key_id=row.api_key_id,
        department_id=row.department_id,
        organisation=row.organisation,
        role=row.role,
        purpose=row.purpose,
        purpose_zh=names.get(row.purpose, row.purpose),
        subject_id=row.subject_id,
        action=row.action,
        channel=row.channel,
        items=list(row.items or []),
        result_count=row.result_count,
        reference=row.reference,
        client_ip=row.client_ip,
    )


def _day_start(day: date) -> datetime:
    """The first moment of ``day`` in China, in UTC."""
    return datetime.combine(day, time.min, tzinfo=_CHINA).astimezone(UTC)


@dataclass
class LogFilter:
    """Search conditions for staff (all optional; dates are China days, both inclusive)."""

    subject_id: int | None = None
    actor: str | None = None
    user_id: int | None = None
    department_id: int | None = None
    organisation: str | None = None
    role: str | None = None
    purpose: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    item: str | None = None

    def describe(self) -> str:
        """The conditions as ``key=value`` pairs (for the audit entry's reference)."""
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v is not None and v != ""]
        return ";".join(parts)[:200]


def _filtered(stmt: Select[Any], f: LogFilter) -> Select[Any]:
    if f.subject_id is not None:
        stmt = stmt.where(QueryLogEntry.subject_id == f.subject_id)
    if f.actor:
        stmt = stmt.where(QueryLogEntry.actor == f.actor)
    if f.user_id is not None:
        stmt = stmt.where(QueryLogEntry.user_id == f.user_id)
    if f.department_id is not None:
        stmt = stmt.where(QueryLogEntry.department_id == f.department_id)
    if f.organisation:
        stmt = stmt.where(QueryLogEntry.organisation.contains(f.organisation, autoescape=True))
    if f.role:
        stmt = stmt.where(QueryLogEntry.role == f.role)
    if f.purpose:
        stmt = stmt.where(QueryLogEntry.purpose == get_purpose(f.purpose).code)
    if f.action:
        stmt = stmt.where(QueryLogEntry.action == f.action)
    if f.date_from is not None:
        stmt = stmt.where(QueryLogEntry.logged_at >= _day_start(f.date_from))
    if f.date_to is not None:
        stmt = stmt.where(QueryLogEntry.logged_at < _day_start(f.date_to + timedelta(days=1)))
    if f.item:
        # The JSON list as text contains the quoted code on both stores (JSON text / JSONB::text).
        stmt = stmt.where(cast(QueryLogEntry.items, String).contains(f'"{f.item}"', autoescape=True))
    return stmt


def _check_page(page: int, per_page: int, limit: int = 500) -> None:
    check_page(page, per_page, limit=limit, code="querylog.bad_page")


def search(session: Session, f: LogFilter | None = None, *, page: int = 1, per_page: int = 50) -> LogPage:
    """Log entries matching ``f``, newest first (staff)."""
    f = f or LogFilter()
    _check_page(page, per_page)
    total = session.scalar(_filtered(select(func.count()).select_from(QueryLogEntry), f)) or 0
    rows = session.scalars(
        _filtered(select(QueryLogEntry), f)
        .order_by(QueryLogEntry.logged_at.desc(), QueryLogEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    names = _purpose_names()
    return LogPage(total=total, page=page, per_page=per_page, items=[_entry(r, names) for r in rows])


EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号"),
    ("logged_at", "查询时间"),
    ("actor", "查询人"),
    ("organisation", "查询单位"),
    ("role", "角色"),
    ("purpose", "查询用途代码"),
    ("purpose_zh", "查询用途"),
    ("subject_id", "被查询主体"),
    ("action", "查询内容"),
    ("items", "返回的目录项"),
    ("result_count", "返回条数"),
    ("channel", "渠道"),
    ("client_ip", "来源地址"),
    ("reference", "关联编号"),
)
EXPORT_MAX_ROWS = 100_000  # one file; narrow the filter for more (an operational limit, not a rule)


def export_csv(session: Session, f: LogFilter | None = None) -> tuple[str, int]:
    """The entries matching ``f`` as UTF-8 CSV with a BOM (opens in Excel), oldest first, and
    the number of rows. The caller logs the export itself (:func:`log_query`, action
    ``query_log.export``)."""
    f = f or LogFilter()
    names = _purpose_names()
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([zh for _, zh in EXPORT_COLUMNS])
    n = 0
    rows = session.scalars(
        _filtered(select(QueryLogEntry), f).order_by(QueryLogEntry.id).limit(EXPORT_MAX_ROWS)
    )
    for row in rows:
        e = _entry(row, names)
        values: list[Any] = []
        for key, _ in EXPORT_COLUMNS:
            v = getattr(e, key)
            if key == "logged_at":
                v = v.astimezone(_CHINA).isoformat(timespec="seconds")
            elif key == "items":
                v = ";".join(v)
            values.append("" if v is None else _csv_safe(str(v)))
        writer.writerow(values)
        n += 1
    return buf.getvalue(), n


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): see ``core.spreadsheet``."""
    return cell_text(value)


def viewers_of(
    session: Session, subject_id: int, *, page: int = 1, per_page: int = 20, include_self: bool = False
) -> ViewingPage:
    """Who looked at ``subject_id``'s non-public information (organisation, role, purpose, time),
    newest first; the subject's own reads are left out unless ``include_self``."""
    _check_page(page, per_page, limit=200)
    conditions = [QueryLogEntry.subject_id == subject_id]
    if not include_self:
        conditions.append(QueryLogEntry.role != "subject")
    order = (QueryLogEntry.logged_at.desc(), QueryLogEntry.id.desc())
    total, rows = paged(session, QueryLogEntry, conditions, order, page, per_page)
    names = _purpose_names()
    items = [
        Viewing(
            logged_at=_aware(r.logged_at),
            organisation=r.organisation,
            role=r.role,
            role_zh=ROLE_NAMES_ZH.get(r.role, r.role),
            purpose=r.purpose,
            purpose_zh=names.get(r.purpose, r.purpose),
            action=r.action,
            items=list(r.items or []),
        )
        for r in rows
    ]
    return ViewingPage(total=total, page=page, per_page=per_page, items=items)


# ---------------------------------------------------------------------------------------------
# Unusual volume


def _in_force(entries: Sequence[Any], day: date) -> Any:
    live = [e for e in entries if e.effective_from <= day]
    if not live:
        raise InvalidInput(
            "No query-log rule is in force", "没有生效的查询记录规则", code="querylog.ruleset_invalid"
        )
    return max(live, key=lambda e: e.effective_from)


def _rules() -> _QueryLogFile:
    path = _ruleset_dir() / "querylog.yaml"
    return _querylog_file(str(path), _mtime(path))


@dataclass
class VolumeFlag:
    actor: str
    organisation: str
    role: str
    queries: int
    subjects: int
    max_queries: int
    max_subjects: int
    flagged: bool
    reasons: list[str] = field(default_factory=list)


def unusual_volume(
    session: Session, day: date | None = None, *, only_flagged: bool = True
) -> list[VolumeFlag]:
    """Per user or key on ``day`` (China): how many logged queries, how many subjects, and
    whether either passes the thresholds of ``querylog.yaml`` (``unusual_volume``)."""
    day = day or today_china()
    rule: _Volume = _in_force(_rules().unusual_volume, day)
    start, end = _day_start(day), _day_start(day + timedelta(days=1))
    rows = session.execute(
        select(
            QueryLogEntry.actor,
            func.max(QueryLogEntry.organisation),
            func.max(QueryLogEntry.role),
            func.count(),
            func.count(QueryLogEntry.subject_id.distinct()),
        )
        .where(QueryLogEntry.logged_at >= start, QueryLogEntry.logged_at < end)
        .group_by(QueryLogEntry.actor)
        .order_by(func.count().desc())
    ).all()
    out = []
    for actor, org, role, n, subjects in rows:
        reasons = []
        if n > rule.max_queries:
            reasons.append("max_queries")
        if subjects > rule.max_subjects:
            reasons.append("max_subjects")
        flag = VolumeFlag(
            actor,
            org or "",
            role or "",
            int(n),
            int(subjects),
            rule.max_queries,
            rule.max_subjects,
            bool(reasons),
            reasons,
        )
        if flag.flagged or not only_flagged:
            out.append(flag)
    return out


# ---------------------------------------------------------------------------------------------
# Retention


def retention_years(today: date | None = None) -> int:
    """Years a log entry is kept: the ruleset's value, or ``XINYONG_QUERY_LOG_RETENTION_YEARS`` if
    that is longer. A setting shorter than the rule is refused (the law sets a minimum)."""
    day = today or today_china()
    rule: _Retention = _in_force(_rules().retention, day)
    configured = get_settings().query_log_retention_years
    if configured and configured < rule.years:
        raise InvalidInput(
            f"XINYONG_QUERY_LOG_RETENTION_YEARS={configured} is shorter than the rule ({rule.years} years)",
            f"查询记录保存年限设置（{configured}年）短于规则要求的{rule.years}年",
            code="querylog.retention_too_short",
            configured=configured,
            minimum=rule.years,
            source=rule.source,
        )
    return max(configured, rule.years)


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


@dataclass
class PurgeResult:
    cutoff: datetime
    retention_years: int
    removed: int
    purge_id: int | None


def purge(session: Session, *, by: str, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Remove entries older than the retention period, and only those. Records the purge
    (``query_log_purges``; the store's triggers accept a DELETE only below its cutoff) and
    appends a ``query_log.purge`` ledger entry, in the caller's transaction."""
    now = (now or utcnow()).astimezone(UTC)
    years = retention_years(now.astimezone(_CHINA).date())
    cutoff = _years_before(now, years)
    old = QueryLogEntry.logged_at < cutoff
    count = session.scalar(select(func.count()).select_from(QueryLogEntry).where(old)) or 0
    if dry_run or count == 0:
        return PurgeResult(cutoff, years, int(count), None)
    # Everything is sealed first, so the rows the purge removes were counted under the ledger.
    seals.seal(session, now=now)
    purge_id = session.execute(
        insert(QueryLogPurge)
        .values(cutoff=cutoff, retention_years=years, removed=count, actor=by[:120], created_at=now)
        .returning(QueryLogPurge.id)
    ).scalar_one()
    session.execute(delete(QueryLogEntry).where(old))
    ledger.append(
        session,
        "query_log.purge",
        f"query_log_purge:{purge_id}",
        {"cutoff": cutoff.isoformat(), "retention_years": years, "removed": int(count), "by": by},
    )
    return PurgeResult(cutoff, years, int(count), int(purge_id))
