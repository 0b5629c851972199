"""Severity (失信程度) of a negative record, in one place: the tables of ``severity.yaml`` and
how a record's class is derived from them.

A record's class (轻微 minor / 一般 general / 严重 serious, ranked by ``ruleset.SEVERITY_RANK``)
and the rule that decided it, in this order (entries in force on the decision date apply):

1. positive and neutral items have none (``severity/not_negative``);
2. the provider's own ``severity`` value (``provider``);
3. the item's fixed class (``severity/items/<item>``);
4. the most severe of the record's 处罚类别 (``severity/penalty_types/<type>``) and of its fine or
   confiscation amounts against the threshold for its sector and subject category
   (``severity/fine_thresholds/<id>/<field>``), never below a category's own class;
5. the item's default class (``severity/items/<item>/default``), else ``general``.

The catalog (``catalog.service.Catalog.derive_severity``) hands in the record's enumerated
values, normalised; the rule files are loaded and cross-checked with the rest of the ruleset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from xinyong.catalog.fields import (
    DECISION_DATE,
    FINE_AMOUNT,
    PENALTY_TYPES,
    SECTOR,
    SEVERITY,
    SUBJECT_CATEGORY,
)
from xinyong.catalog.ruleset import SEVERITY_RANK, SeverityCode, Sourced, Strict, as_decimal, latest_in_force
from xinyong.core.dates import as_date

if TYPE_CHECKING:
    from xinyong.catalog.service import CatalogItem

__all__ = [
    "FineThreshold",
    "ItemSeverity",
    "PenaltyTypeRule",
    "SeverityDecision",
    "SeverityFile",
    "derive_severity",
    "publicity_class",
]

# --- the tables of severity.yaml --------------------------------------------------------------


class ItemSeverity(Sourced):
    fixed: SeverityCode | None = None
    default: SeverityCode | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ItemSeverity:
        if self.fixed is None and self.default is None:
            raise ValueError("give `fixed` or `default`")
        return self


class PenaltyTypeRule(Sourced):
    type: str = Field(min_length=1)
    severity: SeverityCode
    by_amount: str | None = None  # amount field that can move the class via fine_thresholds
    when_no_amount: SeverityCode | None = None


class FineThreshold(Sourced):
    id: str = Field(min_length=1)
    sector: str = "*"
    subject_category: str = "*"
    minor_at_most: Decimal = Field(ge=0)  # 万元
    serious_at_least: Decimal = Field(gt=0)  # 万元

    @model_validator(mode="after")
    def _ordered(self) -> FineThreshold:
        if self.minor_at_most >= self.serious_at_least:
            raise ValueError("minor_at_most must be below serious_at_least")
        return self

    def classify(self, amount: Decimal) -> SeverityCode:
        if amount <= self.minor_at_most:
            return "minor"
        if amount >= self.serious_at_least:
            return "serious"
        return "general"


class SeverityFile(Strict):
    items: dict[str, ItemSeverity] = {}
    penalty_types: list[PenaltyTypeRule] = []
    fine_thresholds: list[FineThreshold] = []

    @model_validator(mode="after")
    def _unique(self) -> SeverityFile:
        keys = [(r.type, r.effective_from) for r in self.penalty_types]
        dup = sorted({k[0] for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"penalty type listed twice with the same effective_from: {', '.join(dup)}")
        ids = [t.id for t in self.fine_thresholds]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate fine threshold id: {', '.join(dup)}")
        return self

    def penalty_rule(self, penalty_type: str, day: date | None) -> PenaltyTypeRule | None:
        """The entry in force on ``day``; a decision older than every entry gets the earliest
        (as ``publicity.yaml`` gives such a decision its earliest version)."""
        entries = [r for r in self.penalty_types if r.type == penalty_type]
        found = latest_in_force(entries, day)
        if found is None and entries:
            return min(entries, key=lambda r: r.effective_from)
        return found

    def item_rule(self, item_code: str) -> ItemSeverity | None:
        return self.items.get(item_code)

    def threshold(self, sector: str | None, category: str | None, day: date | None) -> FineThreshold | None:
        """The most specific threshold in force: exact sector beats "*", then exact category."""
        best: tuple[int, FineThreshold] | None = None
        usable = [t for t in self.fine_thresholds if day is None or t.effective_from <= day]
        if not usable and self.fine_thresholds:
            # A decision older than every entry: the earliest entries apply.
            first = min(t.effective_from for t in self.fine_thresholds)
            usable = [t for t in self.fine_thresholds if t.effective_from == first]
        for t in usable:
            if t.sector not in ("*", sector) or t.subject_category not in ("*", category):
                continue
            score = (2 if t.sector != "*" else 0) + (1 if t.subject_category != "*" else 0)
            if best is None or (score, t.effective_from) > (best[0], best[1].effective_from):
                best = (score, t)
        return best[1] if best else None


# --- deriving a record's class ----------------------------------------------------------------


@dataclass(frozen=True)
class SeverityDecision:
    severity: SeverityCode | None
    rule_id: str  # which rule decided it, e.g. "provider" or "severity/penalty_types/吊销许可证件"


def derive_severity(
    rules: SeverityFile,
    item: CatalogItem,
    data: Mapping[str, Any],
    *,
    enum_value: Callable[[CatalogItem, str, Any], str | None],
    penalty_types: Callable[[CatalogItem, Any], list[str]],
) -> SeverityDecision:
    """The severity class of a record and the rule that decided it (the order is in the module
    docstring). ``enum_value`` gives a raw enumerated value's code (or None), ``penalty_types``
    the known 处罚类别 codes of a raw value."""
    if item.polarity != "negative":
        return SeverityDecision(None, "severity/not_negative")
    provided = enum_value(item, SEVERITY, data.get(SEVERITY))
    if provided in SEVERITY_RANK:
        return SeverityDecision(_sev(provided), "provider")
    day = as_date(data.get(DECISION_DATE))
    item_rule = rules.item_rule(item.code)
    if item_rule is not None and item_rule.fixed is not None:
        return SeverityDecision(item_rule.fixed, f"severity/items/{item.code}")

    candidates: list[tuple[SeverityCode, str]] = []
    sector = enum_value(item, SECTOR, data.get(SECTOR))
    category = enum_value(item, SUBJECT_CATEGORY, data.get(SUBJECT_CATEGORY))
    amounts_used: set[str] = set()
    for ptype in penalty_types(item, data.get(PENALTY_TYPES)):
        prule = rules.penalty_rule(ptype, day)
        if prule is None:
            continue
        base_id = f"severity/penalty_types/{ptype}"
        if prule.by_amount is None:
            candidates.append((prule.severity, base_id))
            continue
        amounts_used.add(prule.by_amount)
        by_amount = _by_amount(rules, prule.by_amount, data, sector, category, day)
        if by_amount is None:
            candidates.append((prule.when_no_amount or prule.severity, base_id))
        elif SEVERITY_RANK[by_amount[0]] < SEVERITY_RANK[prule.severity]:
            candidates.append((prule.severity, base_id))  # the category's floor decides
        else:
            candidates.append(by_amount)
    if FINE_AMOUNT not in amounts_used:
        # A fine amount without 罚款 among the categories (old exports) still counts.
        by_amount = _by_amount(rules, FINE_AMOUNT, data, sector, category, day)
        if by_amount is not None:
            candidates.append(by_amount)
    if candidates:
        # The most severe wins; on a tie the first listed category names the rule.
        best = max(candidates, key=lambda c: SEVERITY_RANK[c[0]])
        return SeverityDecision(best[0], best[1])
    if item_rule is not None and item_rule.default is not None:
        return SeverityDecision(item_rule.default, f"severity/items/{item.code}/default")
    return SeverityDecision("general", "severity/default")


def _by_amount(
    rules: SeverityFile,
    amount_field: str,
    data: Mapping[str, Any],
    sector: str | None,
    category: str | None,
    day: date | None,
) -> tuple[SeverityCode, str] | None:
    amount = as_decimal(data.get(amount_field))
    if amount is None or amount <= 0:
        return None
    threshold = rules.threshold(sector, category, day)
    if threshold is None:
        return None
    return _sev(threshold.classify(amount)), f"severity/fine_thresholds/{threshold.id}/{amount_field}"


def _sev(code: str) -> SeverityCode:
    if code == "minor":
        return "minor"
    if code == "serious":
        return "serious"
    return "general"


def publicity_class(rules: SeverityFile, item_code: str, severity: SeverityCode | None) -> SeverityCode:
    """The class a negative record is published under: its own (``derive_severity``'s answer);
    without one, the item's fixed or default class, else ``general``."""
    if severity is not None:
        return severity
    item_rule = rules.item_rule(item_code)
    chosen = (item_rule.fixed or item_rule.default) if item_rule else None
    return chosen if chosen is not None else "general"
