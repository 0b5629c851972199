"""Chart data for the console pages (drawn by ``static/js/console.js``, shown as a table too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    """Data for one chart; ``static/js/console.js`` draws it with ECharts, and the page shows the
    same numbers in a table (readable without JavaScript)."""

    kind: str  # bar | hbar
    title: str
    categories: list[str]
    series: list[Series]
    unit: str = ""  # "%" for rates

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "categories": self.categories,
            "series": [{"name": s.name, "values": s.values} for s in self.series],
            "unit": self.unit,
        }


def _pct(rate: float) -> float:
    return round(rate * 100, 2)
