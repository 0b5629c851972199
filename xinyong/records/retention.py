"""Retention (保存期限): negative records older than the ruleset's retention period are purged.

The rule (``rulesets/<name>/retention.yaml``, e.g. 《浙江省公共信用信息管理条例》第十六条: 不良信息
保存五年, then deleted) in force on the record's decision date gives the period. A purged record
keeps its row (so its id, provider and document number still answer "this existed and was
deleted"), but every version's content is emptied and its status becomes ``purged``: no view,
no credit state and no evaluation reads it again. One ledger entry per run records the purge
with counts and the content hashes of the purged versions, never the content.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from xinyong.catalog.ruleset import add_months
from xinyong.catalog.service import get_catalog
from xinyong.core.events import Event
from xinyong.ledger import service as ledger
from xinyong.records.models import Record, RecordVersion
from xinyong.records.store import _event_row, _expire

PURGED = "purged"
_CHUNK = 500


@dataclass(frozen=True)
class PurgeResult:
    purged: int = 0
    versions: int = 0
    # Due but kept: the subject is still on a black list (the rule extends the period).
    kept_while_listed: int = 0
    by_item: dict[str, int] = field(default_factory=dict)
    ledger_seq: int | None = None


def purge_expired(
    session: Session,
    today: date,
    *,
    black_listed: Callable[[Iterable[int]], set[int]] | None = None,
) -> PurgeResult:
    """Purge the negative records whose retention period ended before ``today``; idempotent.

    ``black_listed`` answers which of the given subjects are still on a black list (the lists
    domain knows; the daily job passes it). Does not commit."""
    catalog = get_catalog()
    rules = catalog.retention_rules
    if rules is None:
        return PurgeResult()
    negative = sorted(i.code for i in catalog.items() if i.polarity == "negative")
    cutoff = add_months(today, -12 * min(r.years for r in rules.negative))
    rows = session.execute(
        select(Record.id, Record.subject_id, Record.item_code, Record.decision_date)
        .where(
            Record.item_code.in_(negative),
            Record.status != PURGED,
            Record.decision_date.is_not(None),
            Record.decision_date < cutoff,
        )
        .order_by(Record.id)
    ).all()
    due = []
    for r in rows:
        rule = rules.rule_on(r.decision_date)
        if add_months(r.decision_date, 12 * rule.years) < today:
            due.append((r, rule.extend_while_black_listed))
    extendable = {r.subject_id for r, extend in due if extend}
    listed = black_listed(extendable) if black_listed is not None and extendable else set()
    purge = [r for r, extend in due if not (extend and r.subject_id in listed)]
    kept = len(due) - len(purge)
    if not purge:
        return PurgeResult(kept_while_listed=kept)
    hashes: list[str] = []
    versions = 0
    now = datetime.now(UTC)
    for start in range(0, len(purge), _CHUNK):
        part = purge[start : start + _CHUNK]
        ids = [r.id for r in part]
        digests = list(
            session.scalars(select(RecordVersion.content_hash).where(RecordVersion.record_id.in_(ids)))
        )
        hashes += digests
        versions += len(digests)
        # The content goes; the hashes stay (the ledger's entries of each version still verify).
        session.execute(update(RecordVersion).where(RecordVersion.record_id.in_(ids)).values(data={}))
        session.execute(update(Record).where(Record.id.in_(ids)).values(status=PURGED, updated_at=now))
        _expire(session, ids)
        events = [
            _event_row(
                "record.purged",
                {"subject_id": r.subject_id, "record_id": r.id, "item_code": r.item_code, "status": PURGED},
                now,
            )
            for r in part
        ]
        session.execute(insert(Event), events)
    hashes.sort()
    by_item = dict(sorted(Counter(r.item_code for r in purge).items()))
    entry = ledger.append(
        session,
        "records.purge",
        f"purge:{today.isoformat()}",
        {
            "date": today.isoformat(),
            "rules": sorted({rules.rule_on(r.decision_date).id for r in purge}),
            "records": len(purge),
            "versions": versions,
            "kept_while_listed": kept,
            "by_item": by_item,
            "content_hashes": hashes,
            "content_hashes_sha256": hashlib.sha256("\n".join(hashes).encode()).hexdigest(),
        },
    )
    return PurgeResult(len(purge), versions, kept, by_item, entry.seq)
