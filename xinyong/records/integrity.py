"""``xinyong ledger verify``: records and their versions against the ledger (facts).

* every version's content hash is recomputed from ``record_versions.data`` and compared with
  the stored hash and with its ``record.version`` entry;
* every version has its entry and every entry its version (a deleted version or a record
  deleted with its versions is named by the entry that remains);
* each ``records`` row's current fields (subject, status, severity and its rule, decision date,
  publicity rule and window, current version) are compared with the fields its ledgered steps
  set, folded in ledger order (``record.version`` entries carry them as ``state``; a governance
  move is a ``record.reassigned`` entry).

Facts are never repaired: a finding here has no rebuild command.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from xinyong.core.dates import as_date
from xinyong.ledger.hashing import parse_ref
from xinyong.ledger.integrity import (
    CheckReport,
    Finding,
    Verifier,
    entries_of_kind,
    entries_of_refs,
    entries_since,
    show,
)
from xinyong.records.models import Record, RecordVersion
from xinyong.records.store import STATE_FIELDS, content_hash

_STREAM = 5_000
_CHUNK = 500  # records per incremental batch (one ledger read of their refs)
_VERSIONS = cast(Table, RecordVersion.__table__)
_RECORDS = cast(Table, Record.__table__)


_INDEX = {name: i for i, name in enumerate(STATE_FIELDS)}
_SUBJECT = _INDEX["subject_id"]


def _shared(value: Any) -> Any:
    # Statuses, rule ids, dates and submission ids repeat across records: one object each
    # keeps a full run's memory per record small (the whole ledger view is held).
    return sys.intern(value) if type(value) is str else value


class _Expected:
    """What the ledger says about one record: its versions and its folded fields (a list in
    ``STATE_FIELDS`` order; ``None`` until a step set it)."""

    __slots__ = ("state", "stated", "versions")

    def __init__(self) -> None:
        # version -> (seq, change, content hash as bytes, submission id)
        self.versions: dict[int, tuple[int, str, bytes, str | None]] = {}
        self.state: list[Any] = [None] * len(STATE_FIELDS)
        self.stated = True  # False: an entry from before entries carried the state


_KINDS = ("record.version", "record.reassigned")
PURGED = "purged"
# (found, ledgered) status pairs that are not a break: a record held for its department's approval
# (status pending, records/approval.py), or purged at the end of retention.
_HELD_OR_PURGED = {
    ("pending", "in_force"),
    (PURGED, "in_force"),
    (PURGED, "publicity_ended"),
    (PURGED, "withdrawn"),
}


def _ledger_view(session: Session, ids: Sequence[int] | None = None) -> dict[int, _Expected]:
    out: dict[int, _Expected] = {}
    entries = (
        entries_of_kind(session, *_KINDS)
        if ids is None
        else entries_of_refs(session, [f"record:{rid}/" for rid in ids], *_KINDS)
    )
    for e in entries:
        p = e.payload
        rid = p.get("record_id")
        if not isinstance(rid, int):
            target = parse_ref(e.ref) or {}
            rid = int(target.get("id", 0) or 0)
        exp = out.get(rid)
        if exp is None:
            exp = out[rid] = _Expected()
        if e.kind == "record.reassigned":
            exp.state[_SUBJECT] = p.get("subject_id")
            continue
        digest = p.get("content_hash")
        exp.versions[int(p["version"])] = (
            e.seq,
            _shared(str(p.get("change"))),
            bytes.fromhex(digest) if isinstance(digest, str) and len(digest) == 64 else b"",
            _shared(p.get("submission_id")),
        )
        state = p.get("state")
        if state is None:
            exp.stated = False
        else:
            for name, value in state.items():
                i = _INDEX.get(name)
                if i is not None:
                    exp.state[i] = _shared(value)
    return out


def _finding(check: str, table: str, key: str, column: str | None, expected: Any, found: Any,
             en: str, zh: str, seq: int | None = None) -> Finding:  # fmt: skip
    return Finding(check, table, key, column, show(expected), show(found), en, zh, None, seq)


def _changed_since(session: Session, since_seq: int) -> list[int]:
    ids: set[int] = set()
    for e in entries_since(session, since_seq, *_KINDS):
        rid = e.payload.get("record_id")
        if isinstance(rid, int):
            ids.add(rid)
    return sorted(ids)


def verify_records(session: Session, report: CheckReport) -> None:
    """Everything, or (incremental) the records the entries after ``report.since_seq`` name."""
    if not report.since_seq:
        _verify(session, report, None)
        return
    changed = _changed_since(session, report.since_seq)
    for start in range(0, len(changed), _CHUNK):
        _verify(session, report, changed[start : start + _CHUNK])


def _verify(session: Session, report: CheckReport, ids: Sequence[int] | None) -> None:
    expected = _ledger_view(session, ids)
    seen_versions: dict[int, int] = {}  # record id -> highest version found in record_versions
    unstated = 0
    # Retention (records/retention.py) empties a purged record's versions and keeps their hashes;
    # its ``records.purge`` entry lists those hashes, so an emptied version is accepted only when
    # its hash is there (marking a record purged cannot hide an edit).
    purge_hashes: set[str] = set()
    for e in entries_of_kind(session, "records.purge"):
        purge_hashes.update(str(h) for h in e.payload.get("content_hashes") or [])
    purged_ids = set(
        session.scalars(select(_RECORDS.c.id).where(_RECORDS.c.status == PURGED)) if purge_hashes else []
    )

    # 1. Every version: its data gives its hash, and the ledger holds that hash.
    stream = (
        select(
            _VERSIONS.c.record_id,
            _VERSIONS.c.version,
            _VERSIONS.c.change,
            _VERSIONS.c.data,
            _VERSIONS.c.content_hash,
            _VERSIONS.c.submission_id,
        )
        .order_by(_VERSIONS.c.record_id, _VERSIONS.c.version)
        .execution_options(yield_per=_STREAM)
    )
    if ids is not None:
        stream = stream.where(_VERSIONS.c.record_id.in_(ids))
    for rid, version, change, data, stored, submission in session.execute(stream):
        report.rows += 1
        key = f"record_id={rid},version={version}"
        seen_versions[rid] = max(seen_versions.get(rid, 0), version)
        recomputed = content_hash(data or {})
        if rid in purged_ids and not data and stored in purge_hashes:
            recomputed = stored  # content deleted at the end of retention, hash ledgered
        if recomputed != stored:
            report.add(
                _finding(
                    "records.content_hash",
                    "record_versions",
                    key,
                    "data",
                    f"sha256 {stored}",
                    f"sha256 {recomputed}",
                    "the version's content no longer gives its content hash (the data was edited)",
                    "版本内容与其内容哈希不符（数据被改动）",
                )
            )
        exp = expected.get(rid)
        entry = exp.versions.pop(version, None) if exp is not None else None
        if entry is None:
            report.add(
                _finding(
                    "records.version_entry",
                    "record_versions",
                    key,
                    None,
                    "no version (no ledger entry)",
                    "version present",
                    "a version with no ledger entry (added behind the platform's back)",
                    "该版本在账本中没有条目（绕过平台写入）",
                )
            )
            continue
        seq, ledger_change, ledger_digest, ledger_submission = entry
        ledger_hash = ledger_digest.hex()
        if ledger_submission != submission:
            report.add(
                _finding(
                    "records.version_entry",
                    "record_versions",
                    key,
                    "submission_id",
                    ledger_submission,
                    submission,
                    f"the submission differs from ledger entry {seq}",
                    f"所属报送批次与第 {seq} 号账本条目不符",
                    seq,
                )
            )
        if ledger_hash != stored:
            report.add(
                _finding(
                    "records.content_hash",
                    "record_versions",
                    key,
                    "content_hash",
                    ledger_hash,
                    stored,
                    f"the content hash differs from ledger entry {seq}",
                    f"内容哈希与第 {seq} 号账本条目不符",
                    seq,
                )
            )
        if ledger_change != change:
            report.add(
                _finding(
                    "records.version_entry",
                    "record_versions",
                    key,
                    "change",
                    ledger_change,
                    change,
                    f"the kind of change differs from ledger entry {seq}",
                    f"变更类型与第 {seq} 号账本条目不符",
                    seq,
                )
            )

    # 2. Entries left without their version: deleted versions (or a deleted record).
    for rid, exp in expected.items():
        for version, (seq, _change, _hash, _submission) in sorted(exp.versions.items()):
            report.add(
                _finding(
                    "records.version_deleted",
                    "record_versions",
                    f"record_id={rid},version={version}",
                    None,
                    "present",
                    None,
                    f"ledger entry {seq} names this version; it is gone from the store",
                    f"第 {seq} 号账本条目记载的该版本已从数据库中消失",
                    seq,
                )
            )

    # 3. Every record row: its fields are what its ledgered steps set.
    columns = [_RECORDS.c.id, _RECORDS.c.current_version, *(_RECORDS.c[name] for name in STATE_FIELDS)]
    rows = select(*columns).order_by(_RECORDS.c.id).execution_options(yield_per=_STREAM)
    if ids is not None:
        rows = rows.where(_RECORDS.c.id.in_(ids))
    present: set[int] = set()
    for row in session.execute(rows):
        rid = row.id
        present.add(rid)
        key = f"id={rid}"
        exp = expected.get(rid)
        if exp is None:
            report.add(
                _finding(
                    "records.row",
                    "records",
                    key,
                    None,
                    "no record (no ledger entry)",
                    "record present",
                    "a record with no ledger entry (added behind the platform's back)",
                    "该记录在账本中没有任何条目（绕过平台写入）",
                )
            )
            continue
        top = seen_versions.get(rid, 0)
        if row.current_version != top:
            report.add(
                _finding(
                    "records.field",
                    "records",
                    key,
                    "current_version",
                    top,
                    row.current_version,
                    "the current version is not the record's last version",
                    "当前版本号不是该记录的最新版本",
                )
            )
        if not exp.stated:
            unstated += 1
            continue
        for name in STATE_FIELDS:
            found = row._mapping[name]
            want = exp.state[_INDEX[name]]
            if (
                name == "status"
                and (found, want) in _HELD_OR_PURGED
                and (found != PURGED or rid in purged_ids)
            ):
                # 待审核 (a department's approval hold, released by its ledgered approval) or
                # purged at the end of retention (its hashes in a ``records.purge`` entry).
                continue
            if name in ("decision_date", "publicity_start", "publicity_min_end", "publicity_end"):
                want_cmp: Any = as_date(want)
            else:
                want_cmp = want
            if found != want_cmp:
                report.add(
                    _finding(
                        "records.field",
                        "records",
                        key,
                        name,
                        want,
                        found,
                        f"records.{name} is not what the record's ledgered steps set",
                        f"records.{name} 与账本记载的处理结果不符",
                    )
                )
    for rid in sorted(set(expected) - present):
        report.add(
            _finding(
                "records.row_deleted",
                "records",
                f"id={rid}",
                None,
                "present",
                None,
                "the ledger names this record; it is gone from the store",
                "账本记载的该记录已从数据库中消失",
            )
        )
    if unstated:
        report.warn(
            f"{unstated} record(s) were written before ledger entries carried the record's fields: "
            "their versions are checked, their current fields are not",
            f"{unstated} 条记录写入时账本条目尚未记载记录字段：已核对其版本，未核对其当前字段",
        )


VERIFIER = Verifier("records", "信用记录及其版本", verify_records, order=10)
