"""``make reliability`` (long; not part of ``make test``): crash an ingest, recover, verify.

1. **kill -9 at random points** (``XINYONG_RELIABILITY_RUNS``, default 10): each run ingests a new
   CSV of ``XINYONG_RELIABILITY_ROWS`` penalties (default 20,000: 20 batches, so a kill usually
   lands between two chunk commits) with ``xinyong ingest`` in its own process and kills it with
   SIGKILL at a random moment: even runs after a random time (which may land in staging, the
   read-through or a chunk), odd runs once a random number of rows is committed. Then, each with
   the real CLI: ``xinyong ingest-recover`` (finishes the half-applied submission), ``xinyong
   ledger verify`` (must exit 0), and the same file again with ``xinyong ingest`` (must store
   nothing new: the store holds each document once, every row of the resend ``unchanged``). No
   submission may stay ``applying`` and no outbox hold may remain.
2. **backup → restore → identical head**: ``xinyong backup`` of that store, ``xinyong restore`` into
   a new empty store, the two ledger heads compared and ``xinyong ledger verify`` run on the copy.
3. **the load-with-ingest row** (``bench/bench_load.py``): check p99 while a 200,000-row ingest
   runs, SQLite (and PostgreSQL with ``XINYONG_BENCH_POSTGRES_URL``).

Prints one table per part; ``--record`` appends them, dated, to ``docs/reliability.md``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import bench_load

OUT = Path(__file__).resolve().parent / "out" / "reliability"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"


@dataclass
class Run:
    number: int
    kill_mode: str
    killed_after_s: float
    state_at_kill: str
    rows_committed_at_kill: int
    recovered: int
    verify_ok: bool
    resend_created: int
    resend_unchanged: int
    records: int
    expected_records: int
    applying_left: int
    holds_left: int

    @property
    def ok(self) -> bool:
        return (
            self.verify_ok
            and self.resend_created == 0
            and self.records == self.expected_records
            and self.applying_left == 0
            and self.holds_left == 0
        )


def _cli(store: bench_load.Store, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*bench_load.CLI, *args],
        env=bench_load._child_env(store),
        capture_output=True,
        text=True,
        check=check,
    )


def _query(store: bench_load.Store, sql: str) -> list[tuple[object, ...]]:
    from sqlalchemy import text

    from xinyong.core.db import make_engine

    engine = make_engine(url=store.url, schema=store.schema)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _write(path: Path, run: int, rows: int, n: int) -> None:
    """A CSV of new penalties for this run (its own document numbers)."""
    bench_load.write_csv(path, rows, n)
    text = path.read_text(encoding="utf-8").replace("负载罚〔2026〕", f"可靠{run}罚〔2026〕")
    path.write_text(text, encoding="utf-8")


def crash_runs(runs: int, rows: int, subjects: int, seed: int = 2026) -> list[Run]:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    store = bench_load.build(f"sqlite:///{OUT / 'xinyong.db'}", "", OUT / "var", subjects)
    rng = random.Random(seed)
    out: list[Run] = []
    expected = 0
    for number in range(1, runs + 1):
        path = OUT / f"run{number}.csv"
        _write(path, number, rows, subjects)
        cmd = [*bench_load.CLI, "ingest", str(path), "--provider", "BENCH"]
        cmd += ["--item", "administrative_penalty"]
        started = time.perf_counter()
        child = subprocess.Popen(
            cmd, env=bench_load._child_env(store), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        mode = "time" if number % 2 == 0 else "rows"
        if mode == "time":
            time.sleep(rng.uniform(1.0, 10.0))
        else:
            target = rng.randint(1, rows - 1)
            while child.poll() is None:
                done = _query(
                    store, "SELECT coalesce(max(rows_total), 0) FROM submissions WHERE status = 'applying'"
                )
                if int(done[0][0] or 0) >= target:  # type: ignore[call-overload]
                    break
                time.sleep(0.05)
        killed_after = time.perf_counter() - started
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait()
        at_kill = _query(store, f"SELECT status, rows_total FROM submissions WHERE filename = '{path.name}'")
        state = at_kill[0][0] if at_kill else "no submission yet"
        committed = int(at_kill[0][1]) if at_kill else 0  # type: ignore[call-overload]
        if child.returncode != -signal.SIGKILL:
            state = f"finished before the kill ({state})"

        recovered = _cli(store, "ingest-recover").stderr.count("已完成中断的提交")
        verify = _cli(store, "ledger", "verify", check=False)
        expected += rows
        ingest = ("ingest", str(path), "--provider", "BENCH", "--item", "administrative_penalty")
        stored = _query(
            store, f"SELECT count(*) FROM submissions WHERE filename = '{path.name}' AND status = 'done'"
        )
        if not stored[0][0]:
            # Killed before its first commit: nothing of it was stored; it is sent again to store it.
            _cli(store, *ingest)
        _cli(store, *ingest)  # the resend: must store nothing new
        last = _query(
            store,
            "SELECT rows_created, rows_unchanged FROM submissions WHERE filename = "
            f"'{path.name}' AND status = 'done' ORDER BY received_at DESC LIMIT 1",
        )
        records = int(_query(store, "SELECT count(*) FROM records")[0][0])  # type: ignore[call-overload]
        applying = int(_query(store, "SELECT count(*) FROM submissions WHERE status = 'applying'")[0][0])  # type: ignore[call-overload]
        holds = int(_query(store, "SELECT count(*) FROM event_cursors WHERE consumer LIKE 'hold:%'")[0][0])  # type: ignore[call-overload]
        out.append(
            Run(
                number,
                mode,
                killed_after,
                str(state),
                committed,
                recovered,
                verify.returncode == 0,
                int(last[0][0]),  # type: ignore[call-overload]
                int(last[0][1]),  # type: ignore[call-overload]
                records,
                expected,
                applying,
                holds,
            )
        )
        print(out[-1], flush=True)
    return out


def backup_restore() -> str:
    """Back up the crash runs' store with ``xinyong backup``, restore it into a new, empty store
    (its own file and var directory) with ``xinyong restore``, and compare the two ledger heads
    (seq and entry hash) and ``xinyong ledger verify`` on the restored store."""
    source = bench_load.Store(f"sqlite:///{OUT / 'xinyong.db'}", "", OUT / "var", "", [])
    if not (OUT / "xinyong.db").exists():
        return "not run: no store (the crash runs did not run)"
    target_db = OUT / "restored.db"
    target = bench_load.Store(f"sqlite:///{target_db}", "", OUT / "var-restored", "", [])
    backup_dir = OUT / "backup"
    for path in (backup_dir, target.var_dir):
        shutil.rmtree(path, ignore_errors=True)
    target_db.unlink(missing_ok=True)
    _cli(source, "backup", str(backup_dir))
    _cli(target, "restore", str(backup_dir))
    head = "SELECT seq, entry_hash FROM ledger_head"
    before, after = _query(source, head), _query(target, head)
    verify = _cli(target, "ledger", "verify", check=False)
    if before != after:
        return f"FAIL: heads differ (source {before}, restored {after})"
    if verify.returncode != 0:
        return f"FAIL: ledger verify on the restored store exited {verify.returncode}"
    return f"identical head (seq {before[0][0]}), ledger verify clean on the restored store"


def markdown(runs: list[Run], backup: str, load: list[str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"### {when} UTC — `make reliability`",
        "",
        "| run | kill | killed after | state at kill | rows committed | recovered | ledger verify | resend: created / unchanged | records (expected) | left applying / holds | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.number} | {r.kill_mode} | {r.killed_after_s:.1f} s | {r.state_at_kill} | {r.rows_committed_at_kill:,} "
            f"| {r.recovered} | {'ok' if r.verify_ok else 'BROKEN'} | {r.resend_created:,} / {r.resend_unchanged:,} "
            f"| {r.records:,} ({r.expected_records:,}) | {r.applying_left} / {r.holds_left} | {'PASS' if r.ok else 'FAIL'} |"
        )
    lines += ["", f"Backup → restore → identical head: {backup}.", ""]
    lines += [*load, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    runs = int(os.environ.get("XINYONG_RELIABILITY_RUNS", "10"))
    rows = int(os.environ.get("XINYONG_RELIABILITY_ROWS", "20000"))
    subjects = int(os.environ.get("XINYONG_RELIABILITY_SUBJECTS", "2000"))
    crash = crash_runs(runs, rows, subjects)
    backup = backup_restore()
    load: list[str] = []
    passed = all(r.ok for r in crash) and backup.startswith("identical head")
    if "--no-load" not in args:
        for result in [bench_load.run_sqlite(), *([bench_load.run_postgres()] if bench_load.PG_URL else [])]:
            row = bench_load.row(result)
            load.append(
                f"Load with ingest ({result.store}): check p99 {result.loaded.p99_ms:.1f} ms with ingest vs "
                f"{result.idle.p99_ms:.1f} ms idle ({row.ratio or 0:.2f}×, goal ≤ 3×); errors "
                f"{result.idle.errors} idle / {result.loaded.errors} with ingest; answered {result.answered:,}, "
                f"logged {result.logged:,}; {'PASS' if result.passed else 'FAIL'}. {row.benchmark}"
            )
            passed = passed and result.passed
    text = markdown(crash, backup, load)
    print(text)
    if "--record" in args:
        with DOCS.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
