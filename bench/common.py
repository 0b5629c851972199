"""What every benchmark module shares: the result row and a same-run timing helper."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One line of the benchmark table.

    ``reference`` is measured in the same run on the same input (never a remembered number), so
    the ratio holds on whatever machine runs it. ``passed`` is None for an informational row.
    """

    benchmark: str
    measured: float
    unit: str
    reference: float | None
    reference_name: str
    goal: str
    passed: bool | None
    ratio: float | None = None
    note: str = ""


def best_rate(funcs: Sequence[Callable[[Any], object]], items: Sequence[Any], repeat: int = 3) -> list[float]:
    """Items per second of each function over ``items``: the best of ``repeat`` rounds, the
    functions interleaved within a round so that machine noise hits them alike."""
    best = [0.0] * len(funcs)
    for _ in range(repeat):
        for k, fn in enumerate(funcs):
            start = time.perf_counter()
            for item in items:
                fn(item)
            elapsed = time.perf_counter() - start
            best[k] = max(best[k], len(items) / elapsed if elapsed > 0 else float("inf"))
    return best


def fmt_number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.2f} %"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"
