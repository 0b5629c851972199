"""Checks of the DATA against the ledger: a small registry that every domain plugs into.

The ledger package sits below every domain, so it cannot know what a record or a credit state
is. Each domain that writes ledger entries about its rows ships a verifier
(``xinyong/<domain>/integrity.py``) that compares its tables with those entries and yields
:class:`Finding` s; the assembly (``xinyong.jobs.integrity.register_verifiers``) registers them,
and ``xinyong ledger verify`` runs them after the chain check. See docs/security.md, "Adding a
verifier".

A finding names the table, the row's key, the column, the expected value (what the ledger, or a
recomputation from ledgered facts, says) and the value found, never personal data: verifiers
print ids, codes, hashes, dates and statuses only. A finding in DERIVED state names the command
that rebuilds it (``rebuild``); a finding in facts has none: facts are never "repaired".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from xinyong.core.db import utcnow
from xinyong.ledger.models import Checkpoint, LedgerEntry

# Findings kept per verifier (all are counted); a store broken everywhere stays readable.
MAX_FINDINGS = 200
_STREAM_BATCH = 5_000


@dataclass(frozen=True)
class Finding:
    """One row that does not match the ledger. ``key`` is the row's key as ``column=value``
    pairs; ``expected`` / ``found`` are short texts (``None``: the row or entry is missing)."""

    check: str
    table: str
    key: str
    column: str | None
    expected: str | None
    found: str | None
    message: str
    message_zh: str
    rebuild: str | None = None
    seq: int | None = None

    @property
    def derived(self) -> bool:
        return self.rebuild is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "table": self.table,
            "key": self.key,
            "column": self.column,
            "expected": self.expected,
            "found": self.found,
            "message": self.message,
            "message_zh": self.message_zh,
            "rebuild": self.rebuild,
            "seq": self.seq,
        }


@dataclass
class CheckReport:
    """What one verifier saw: rows checked, findings (the first :data:`MAX_FINDINGS`), their
    total, and warnings (what it could not cover, e.g. rows written before entries carried the
    state, or a consumer that has not caught up)."""

    name: str
    title_zh: str
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    total: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    # Incremental run: only what the entries after this seq changed (0: everything). A verifier
    # that cannot narrow its check ignores it and checks everything.
    since_seq: int = 0

    def add(self, finding: Finding) -> None:
        self.total += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)

    def warn(self, message: str, message_zh: str) -> None:
        self.warnings.append((message, message_zh))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title_zh": self.title_zh,
            "rows": self.rows,
            "breaks_total": self.total,
            "breaks": [f.to_dict() for f in self.findings],
            "warnings": [{"message": en, "message_zh": zh} for en, zh in self.warnings],
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Verifier:
    """A domain's check: ``run(session, report)`` fills the report. ``order``: lower runs first
    (facts before derived state, so the first break shown is the cause, not a consequence)."""

    name: str
    title_zh: str
    run: Callable[[Session, CheckReport], None]
    order: int = 100


_VERIFIERS: dict[str, Verifier] = {}
# Steps that put rows under the ledger just before a checkpoint (the query-log seal).
_SEALERS: dict[str, Callable[[Session], object]] = {}
# Called once before the registry is first read: the assembly registers what it has (the CLI
# imports domains lazily, so this runs only for the commands that verify or checkpoint).
_LOADERS: list[Callable[[], None]] = []


def add_loader(loader: Callable[[], None]) -> None:
    _LOADERS.append(loader)


def _load() -> None:
    while _LOADERS:
        _LOADERS.pop(0)()


def register_verifier(verifier: Verifier) -> None:
    """Register (or replace, by name) a verifier. Idempotent."""
    _VERIFIERS[verifier.name] = verifier


def register_sealer(name: str, sealer: Callable[[Session], object]) -> None:
    """Register a step run before every checkpoint (``run_sealers``). Idempotent by name."""
    _SEALERS[name] = sealer


def registered_verifiers() -> list[Verifier]:
    _load()
    return sorted(_VERIFIERS.values(), key=lambda v: (v.order, v.name))


def run_sealers(session: Session) -> None:
    """Run the registered sealers in the caller's transaction (before a checkpoint)."""
    _load()
    for _name, sealer in sorted(_SEALERS.items()):
        sealer(session)


def run_verifiers(
    session: Session, names: Iterable[str] | None = None, *, since_seq: int = 0
) -> list[CheckReport]:
    """Run the registered verifiers (or those named) in order; ``since_seq``: incremental."""
    wanted = set(names) if names is not None else None
    reports: list[CheckReport] = []
    for verifier in registered_verifiers():
        if wanted is not None and verifier.name not in wanted:
            continue
        report = CheckReport(verifier.name, verifier.title_zh, since_seq=since_seq)
        started = time.perf_counter()
        verifier.run(session, report)
        report.seconds = time.perf_counter() - started
        reports.append(report)
    return reports


# ---------------------------------------------------------------- reading entries for verifiers


@dataclass(frozen=True)
class EntryView:
    seq: int
    kind: str
    ref: str
    payload: dict[str, Any]


def entries_of_kind(session: Session, *kinds: str) -> Iterator[EntryView]:
    """Every entry of these kinds in seq order, payload parsed (streamed). The chain check
    vouches for the payload texts; a verifier only compares them with the rows."""
    stream = (
        select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.ref, LedgerEntry.payload)
        .where(LedgerEntry.kind.in_(kinds))
        .order_by(LedgerEntry.seq)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    for seq, kind, ref, payload in session.execute(stream):
        yield EntryView(int(seq), kind, ref, orjson.loads(payload))


def entries_with_ref_prefix(session: Session, prefix: str) -> Iterator[EntryView]:
    """Every entry whose ref starts with ``prefix`` (e.g. ``list_procedure:``), in seq order."""
    stream = (
        select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.ref, LedgerEntry.payload)
        .where(LedgerEntry.ref >= prefix, LedgerEntry.ref < prefix + "\U0010ffff")
        .order_by(LedgerEntry.seq)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    for seq, kind, ref, payload in session.execute(stream):
        yield EntryView(int(seq), kind, ref, orjson.loads(payload))


def entries_of_refs(session: Session, prefixes: Iterable[str], *kinds: str) -> Iterator[EntryView]:
    """The entries of these kinds whose ref starts with one of ``prefixes`` (e.g. ``record:12/``),
    in seq order: an incremental verifier's reads of the few rows that changed."""
    ranges = [and_(LedgerEntry.ref >= p, LedgerEntry.ref < p + "\U0010ffff") for p in prefixes]
    if not ranges:
        return
    stmt = (
        select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.ref, LedgerEntry.payload)
        .where(or_(*ranges), LedgerEntry.kind.in_(kinds))
        .order_by(LedgerEntry.seq)
    )
    for seq, kind, ref, payload in session.execute(stmt):
        yield EntryView(int(seq), kind, ref, orjson.loads(payload))


def entries_since(session: Session, since_seq: int, *kinds: str) -> Iterator[EntryView]:
    """The entries of these kinds after ``since_seq`` (what changed since a verified checkpoint)."""
    stream = (
        select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.ref, LedgerEntry.payload)
        .where(LedgerEntry.seq > since_seq, LedgerEntry.kind.in_(kinds))
        .order_by(LedgerEntry.seq)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    for seq, kind, ref, payload in session.execute(stream):
        yield EntryView(int(seq), kind, ref, orjson.loads(payload))


def latest_entry(session: Session, kind: str) -> EntryView | None:
    """The last entry of a kind (e.g. the last query-log seal)."""
    row = session.execute(
        select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.ref, LedgerEntry.payload)
        .where(LedgerEntry.kind == kind)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    ).first()
    return EntryView(int(row.seq), row.kind, row.ref, orjson.loads(row.payload)) if row else None


def show(value: Any) -> str | None:
    """A value as findings print it (dates ISO, None stays None)."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def coverage(session: Session, interval_minutes: float) -> dict[str, Any]:
    """How many entries no checkpoint covers, and how many of those are older than the
    checkpoint interval (they should have been covered: ``verify`` warns)."""
    last = int(session.scalar(select(func.max(Checkpoint.last_seq))) or 0)
    uncovered = int(session.scalar(select(func.count()).where(LedgerEntry.seq > last)) or 0)
    old = 0
    if uncovered:
        limit = utcnow() - timedelta(minutes=max(interval_minutes, 0) or 5)
        old = int(
            session.scalar(select(func.count()).where(LedgerEntry.seq > last, LedgerEntry.created_at < limit))
            or 0
        )
    return {
        "checkpointed_to_seq": last,
        "uncovered": uncovered,
        "uncovered_old": old,
        "interval_minutes": interval_minutes,
    }
