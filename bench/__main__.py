"""Run every ``bench/bench_*.py`` (each exposes ``run() -> list[Row]``) and print one table.

``python -m bench`` prints; ``--record`` also appends the table, dated, to docs/benchmarks.md;
``--only NAME`` runs the modules whose name contains NAME.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bench
from bench.common import Row, fmt_number

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
COLUMNS = ("benchmark", "measured", "reference (same run)", "ratio", "goal", "result")


def discover(only: str | None = None) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    return [n for n in names if only is None or only in n]


def cells(row: Row) -> tuple[str, ...]:
    reference = "—"
    if row.reference is not None:
        reference = f"{fmt_number(row.reference, row.unit)} ({row.reference_name})"
    elif row.reference_name:
        reference = f"({row.reference_name})"
    ratio = f"{row.ratio:.1f}×" if row.ratio is not None else "—"
    result = {True: "pass", False: "FAIL", None: "info"}[row.passed]
    bench_text = f"{row.benchmark} — {row.note}" if row.note else row.benchmark
    return (bench_text, fmt_number(row.measured, row.unit), reference, ratio, row.goal, result)


def machine() -> str:
    # The load average tells a reader whether other work shared the machine during the run.
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{load}"


def markdown(rows: list[Row], when: datetime) -> str:
    lines = [
        f"## {when:%Y-%m-%d %H:%M}",
        "",
        f"Machine: {machine()}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--record", action="store_true", help="append the table to docs/benchmarks.md")
    parser.add_argument("--only", help="run only modules whose name contains this")
    args = parser.parse_args(argv)

    console = Console()
    rows: list[Row] = []
    for name in discover(args.only):
        console.print(f"running {name} ...")
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            rows += module.run()
        except Exception:  # one broken benchmark must not hide the others' results
            traceback.print_exc()
            rows.append(Row(name, 0.0, "", None, "", "runs", False, note="crashed"))
        console.print(f"  {name}: {time.perf_counter() - started:.1f} s")

    table = Table(title="Xinyong benchmarks")
    for col in COLUMNS:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)

    if args.record:
        if not DOCS.exists():
            DOCS.write_text("# Benchmarks\n\n", encoding="utf-8")
        with DOCS.open("a", encoding="utf-8") as fh:
            fh.write("\n" + markdown(rows, datetime.now()))
        console.print(f"recorded in {DOCS}")
    return 0 if all(r.passed is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
