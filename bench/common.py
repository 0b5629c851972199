"""What every benchmark module shares: the result row, a same-run timing helper and a small
demo city in a temporary store."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xinyong.core.db import Database


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


@contextmanager
def demo_store(prefix: str, subjects: int, seed: int) -> Iterator[Database]:
    """A demo city of ``subjects`` subjects (``build_demo``) in a temporary SQLite store, removed
    with its var directory afterwards."""
    from xinyong.core.db import Database, make_engine
    from xinyong.core.migrate import upgrade
    from xinyong.core.settings import reset_settings
    from xinyong.demo.service import build_demo

    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("XINYONG_SECRET_KEY", "bench-secret-not-for-production")
    os.environ["XINYONG_VAR_DIR"] = str(work / "var")
    reset_settings()
    engine = make_engine(url=f"sqlite:///{work / 'x.db'}", schema="")
    try:
        upgrade(engine)
        db = Database(engine)
        build_demo(db, subjects=subjects, seed=seed, out_dir=work / "samples")
        yield db
    finally:
        engine.dispose()
        reset_settings()
        shutil.rmtree(work, ignore_errors=True)
