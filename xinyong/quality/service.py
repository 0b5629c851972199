"""Data quality (数据质量) per department and catalog item, per month: timeliness, completeness,
accuracy, 重错码 rate, volume against the previous month, missing months; a score, a ranking,
the stored scorecards, their XLSX export and the push of each department's own scorecard.

Reads other domains only through their services: ingest (submissions), records (how full the
stored versions are), subjects (codes in open 错码/重码 cases), catalog (which fields are
optional), accounts (the department a provider is)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.catalog import service as catalog_service
from xinyong.core import events, months
from xinyong.core.errors import NotFound
from xinyong.ingest import service as ingest_service
from xinyong.objections import stats as objection_stats
from xinyong.quality.export import scorecards_xlsx
from xinyong.quality.models import QualityScorecard
from xinyong.quality.rules import QualityRules, get_quality
from xinyong.quality.scoring import Metrics, Totals, measure, rank
from xinyong.quality.views import ItemCard, Scorecard
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

PUSH_EVENT = "quality.scorecard"


def _item_name(code: str) -> str:
    try:
        return catalog_service.get_catalog().item(code).name_zh
    except NotFound:
        return code


def _optional_fields(code: str, rules: QualityRules) -> int:
    try:
        item = catalog_service.get_catalog().item(code)
    except NotFound:
        return 0
    return sum(1 for f in item.fields if not f.required and f.code not in rules.completeness_ignore)


def _optional_filled(code: str, filled: dict[str, int], rules: QualityRules) -> int:
    try:
        item = catalog_service.get_catalog().item(code)
    except NotFound:
        return 0
    return sum(
        filled.get(f.code, 0)
        for f in item.fields
        if not f.required and f.code not in rules.completeness_ignore
    )


def compute_month(session: Session, month: date) -> list[Scorecard]:
    """Every department's scorecard for ``month`` (computed now, not stored), best first."""
    rules = get_quality(month)
    first = months.shift(month, -(rules.continuity_months - 1))
    since, _ = months.bounds(min(first, months.shift(month, -1)))
    start, until = months.bounds(month)
    facts = ingest_service.submission_facts(session, since, until)
    # (provider, item) -> month -> rows; and this month's facts per (provider, item).
    sent: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    current: dict[tuple[str, str], list[ingest_service.SubmissionFacts]] = defaultdict(list)
    names: dict[str, str] = {}
    for f in facts:
        m = months.month_of(f.received_at)
        sent[(f.provider_code, f.item_code)][m] += f.rows_total
        names[f.provider_code] = f.provider_name
        if m == month:
            current[(f.provider_code, f.item_code)].append(f)
    stats = records_service.content_stats(
        session, [f.submission_id for fs in current.values() for f in fs if not f.failed]
    )
    error_codes = subjects_service.open_error_codes(session)
    window = [months.shift(month, -k) for k in range(rules.continuity_months)]
    registered: dict[str, set[str]] = {}
    created: dict[str, date] = {}
    for p in ingest_service.list_providers(session):
        if p.active:
            registered[p.code] = set(p.items)
            names.setdefault(p.code, p.name)
            created[p.code] = months.month_of(p.created_at)
    codes = sorted(set(registered) | {p for p, _ in sent})
    cards: list[Scorecard] = []
    now = datetime.now(UTC)
    for code in codes:
        upheld = objection_stats.held_by_item(session, code, start.date(), until.date())
        items = sorted(registered.get(code, set()) | {i for p, i in sent if p == code})
        total = Totals()
        item_cards: list[ItemCard] = []
        for item in items:
            t = Totals(upheld_objections=upheld.get(item, 0))
            for f in current.get((code, item), []):
                t.submissions += 1
                t.rows_total += f.rows_total
                t.rows_rejected += f.rows_rejected
                t.rows_created += f.rows_created
                t.rows_corrected += f.rows_corrected
                t.rows_late += f.rows_late
                t.rows_timed += f.rows_timed
                t.rows_missing_required += f.rows_missing_required
                st = stats.get(f.submission_id)
                if st is not None:
                    t.versions += st.versions
                    t.optional_slots += st.versions * _optional_fields(item, rules)
                    t.optional_filled += _optional_filled(item, dict(st.filled), rules)
                    t.codes |= st.codes
            t.error_codes = len(t.codes & error_codes)
            by_month = sent.get((code, item), {})
            t.previous_rows = by_month.get(months.shift(month, -1), 0)
            if item in registered.get(code, set()):
                since_month = created.get(code, first)
                t.missing_months = sum(1 for m in window if m >= since_month and not by_month.get(m))
            total.add(t)
            item_cards.append(ItemCard(item, _item_name(item), measure(t, rules)))
        total.error_codes = len(total.codes & error_codes)
        metrics = measure(total, rules)
        cards.append(
            Scorecard(
                months.key(month),
                code,
                names.get(code, code),
                metrics.score,
                0,
                rules.version,
                metrics,
                item_cards,
                now,
            )
        )
    places = rank([(c.provider_code, c.score) for c in cards])
    for c in cards:
        c.rank = places[c.provider_code]
    cards.sort(key=lambda c: (c.rank, c.provider_code))
    return cards


def _metrics_from(data: dict[str, Any]) -> Metrics:
    return Metrics(**data)


def _card_of(row: QualityScorecard) -> Scorecard:
    return Scorecard(
        month=row.month,
        provider_code=row.provider_code,
        provider_name=row.provider_name,
        score=float(row.score),
        rank=row.rank,
        rules_version=row.rules_version,
        metrics=_metrics_from(row.metrics),
        items=[ItemCard(i["item_code"], i["item_name"], _metrics_from(i["metrics"])) for i in row.items],
        computed_at=row.computed_at,
        pushed_at=row.pushed_at,
    )


def _department_of(session: Session, provider_code: str) -> str:
    try:
        return accounts_service.provider_department(session, provider_code).code
    except NotFound:
        return provider_code


def publish_month(session: Session, month: date, *, push: bool = True) -> list[Scorecard]:
    """Compute and store the month's scorecards (replacing an earlier computation) and, with
    ``push``, send each department its own scorecard once (an outbox event the push consumer
    delivers to the department's subscriptions). The caller commits."""
    cards = compute_month(session, month)
    key = months.key(month)
    stored = {
        r.provider_code: r
        for r in session.scalars(select(QualityScorecard).where(QualityScorecard.month == key))
    }
    for c in cards:
        row = stored.get(c.provider_code)
        if row is None:
            row = QualityScorecard(month=key, provider_code=c.provider_code)
            session.add(row)
        changed = row.score is None or Decimal(str(c.score)) != row.score
        row.provider_name = c.provider_name
        row.score = Decimal(str(c.score))
        row.rank = c.rank
        row.rules_version = c.rules_version
        row.metrics = c.metrics.as_json()
        row.items = [
            {"item_code": i.item_code, "item_name": i.item_name, "metrics": i.metrics.as_json()}
            for i in c.items
        ]
        row.computed_at = c.computed_at
        if push and (row.pushed_at is None or changed):
            events.emit(
                session,
                PUSH_EVENT,
                payload={
                    "to_departments": [_department_of(session, c.provider_code)],
                    "month": key,
                    "provider_code": c.provider_code,
                    "provider_name": c.provider_name,
                    "score": c.score,
                    "rank": c.rank,
                    "of": len(cards),
                    "metrics": row.metrics,
                },
            )
            row.pushed_at = datetime.now(UTC)
        c.pushed_at = row.pushed_at
    session.flush()
    return cards


def stored_month(session: Session, month: date) -> list[Scorecard]:
    rows = session.scalars(
        select(QualityScorecard)
        .where(QualityScorecard.month == months.key(month))
        .order_by(QualityScorecard.rank, QualityScorecard.provider_code)
    )
    return [_card_of(r) for r in rows]


def month_report(session: Session, month: date, *, provider_code: str | None = None) -> list[Scorecard]:
    """The stored scorecards of ``month`` or, when none is stored yet, computed now; with
    ``provider_code`` only that department's."""
    cards = stored_month(session, month) or compute_month(session, month)
    if provider_code is not None:
        cards = [c for c in cards if c.provider_code == provider_code]
    return cards


def history(session: Session, provider_code: str, limit: int = 24) -> list[Scorecard]:
    rows = session.scalars(
        select(QualityScorecard)
        .where(QualityScorecard.provider_code == provider_code)
        .order_by(QualityScorecard.month.desc())
        .limit(limit)
    )
    return [_card_of(r) for r in rows]


__all__ = [
    "PUSH_EVENT",
    "ItemCard",
    "Metrics",
    "Scorecard",
    "compute_month",
    "history",
    "month_report",
    "publish_month",
    "scorecards_xlsx",
    "stored_month",
]
