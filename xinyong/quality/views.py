"""A department's monthly scorecard, as the service returns it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from xinyong.quality.scoring import Metrics


@dataclass
class ItemCard:
    item_code: str
    item_name: str
    metrics: Metrics


@dataclass
class Scorecard:
    month: str
    provider_code: str
    provider_name: str
    score: float
    rank: int
    rules_version: str
    metrics: Metrics
    items: list[ItemCard]
    computed_at: datetime
    pushed_at: datetime | None = None
