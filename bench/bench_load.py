"""Checks while a big ingest runs: the check API must keep answering, and logging, at its idle
latency (issue 20 §1).

Setup (not timed): a store built by the migrations with ``XINYONG_BENCH_LOAD_SUBJECTS`` enterprises
(default 20,000; ``subjects.service.create_subjects``), an ingest provider and a regulator API key
with ``checks:read``; a CSV of ``XINYONG_BENCH_LOAD_ROWS`` penalties (default 200,000, the size of
the issue's ingest) on those enterprises, all new records. SQLite, and PostgreSQL too when
``XINYONG_BENCH_POSTGRES_URL`` is set (a fresh schema, dropped afterwards).

Measured: ``xinyong.app:server_app`` served by uvicorn (2 workers, as ``bench_checks``; the
evaluation, tick and push jobs off, the ingest recovery and key last-use jobs on, as in ``serve``);
``CONNECTIONS`` keep-alive connections send ``POST /api/v1/checks`` for random enterprises at a
fixed offered rate (``XINYONG_BENCH_LOAD_RATE``, default 200 checks/s: paced, so the latency is the
server's, not the queue a saturating closed loop builds on 2 shared cores):

1. idle: ``XINYONG_BENCH_SECONDS`` (default 15) seconds, nothing else running: p99 and errors;
2. with ingest: ``xinyong ingest`` of the CSV in another process (``nice -n 10``,
   ``XINYONG_BENCH_LOAD_NICE``: a bulk job yields the CPU to the serving processes, as an operator
   would run it; on a machine busy with other work a niced ingest barely runs, set 0 there), the
   same load from its start to its end (credit-state catch-up included): p99, errors, and the
   ingest's rows/s.

Goal (issue 20): p99 with ingest ≤ 3 × idle p99, 0 errors, and every answered check logged: the
check-log rows written during the run (``measure_checks``) equal the checks answered 200.
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import Row
from bench.server import MATTERS, create_callers, free_port, serve, server_env, subject_codes

OUT = Path(__file__).resolve().parent / "out"
CONNECTIONS = 8
GOAL_FACTOR = 3.0
PG_URL = os.environ.get("XINYONG_BENCH_POSTGRES_URL", "")
# The ``xinyong`` command of this checkout (``xinyong.cli`` has no ``__main__``).
CLI = [sys.executable, "-c", "from xinyong.cli import app; app(prog_name='xinyong')"]


def _subjects() -> int:
    return int(os.environ.get("XINYONG_BENCH_LOAD_SUBJECTS", "20000"))


def _rows() -> int:
    return int(os.environ.get("XINYONG_BENCH_LOAD_ROWS", "200000"))


def _name(i: int) -> str:
    return f"台州市负载{i}号有限公司"


def _env(var_dir: Path) -> dict[str, str]:
    return server_env(var_dir) | {"XINYONG_MAX_UPLOAD_BYTES": str(1 << 30)}


@dataclass
class Store:
    url: str
    schema: str
    var_dir: Path
    key: str
    codes: list[str]


def build(url: str, schema: str, var_dir: Path, n: int) -> Store:
    """A fresh store with ``n`` enterprises, the BENCH provider and a regulator key."""
    os.environ.update(_env(var_dir))
    from xinyong.core.db import Database, make_engine
    from xinyong.core.migrate import upgrade
    from xinyong.core.settings import reset_settings
    from xinyong.subjects import service as subjects_service

    reset_settings()
    engine = make_engine(url=url, schema=schema)
    if schema:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        upgrade(engine, schema=schema)
    else:
        upgrade(engine)
    db = Database(engine)
    codes = subject_codes(n)
    with db.session() as s:
        _, key = create_callers(s)
    with db.session() as s:
        for start in range(0, n, 10_000):
            batch: list[dict[str, object]] = [
                {"kind": "enterprise", "name": _name(i + 1), "uscc": codes[i], "status": "存续"}
                for i in range(start, min(start + 10_000, n))
            ]
            subjects_service.create_subjects(s, batch)
            s.commit()
    engine.dispose()
    return Store(url, schema, var_dir, key, codes)


def write_csv(path: Path, rows: int, n: int) -> None:
    """``rows`` penalties (2019 CF_ edition) on the ``n`` enterprises, each a new record."""
    if path.exists():
        return
    codes = subject_codes(n)
    today = date.today()
    rng = random.Random(2026)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                *("CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_FRDB", "CF_WSH", "CF_WFXW", "CF_SY"),
                *("CF_YJ", "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_JDRQ", "CF_CFJG"),
            ]
        )
        for i in range(rows):
            s = i % n
            decided = today - timedelta(days=rng.randint(1, 20))
            w.writerow(
                [
                    _name(s + 1),
                    "法人及非法人组织",
                    codes[s],
                    "王建国",
                    f"台椒市监负载罚〔2026〕{i}号",
                    "未按规定公示年度报告",
                    "当事人未按规定期限公示年度报告。",
                    "《企业信息公示暂行条例》第十八条",
                    "罚款",
                    "罚款人民币伍仟元",
                    "0.5",
                    decided.isoformat(),
                    "台州市椒江区市场监督管理局",
                ]
            )
    tmp.replace(path)


def _child_env(store: Store) -> dict[str, str]:
    env = {**os.environ, **_env(store.var_dir), "XINYONG_DATABASE_URL": store.url}
    env["XINYONG_DATABASE_SCHEMA"] = store.schema
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


@dataclass
class Load:
    answered: int = 0
    errors: int = 0
    seconds: float = 0.0
    p99_ms: float = 0.0
    p50_ms: float = 0.0
    max_ms: float = 0.0
    kinds: dict[str, int] | None = None  # error kind -> count (status code or exception name)


async def paced_load(url: str, key: str, codes: list[str], rate: float, until: asyncio.Event | float) -> Load:
    """``CONNECTIONS`` connections, each sending one check every ``CONNECTIONS / rate`` seconds
    (a late answer delays only its own connection's next check), until the event is set or for
    that many seconds."""
    import httpx

    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    rng = random.Random(7)
    period = CONNECTIONS / rate
    started = time.perf_counter()
    deadline = started + until if isinstance(until, float) else None

    def done() -> bool:
        if deadline is not None:
            return time.perf_counter() >= deadline
        assert isinstance(until, asyncio.Event)
        return until.is_set()

    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        limits=limits, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            next_at = time.perf_counter() + period * k / CONNECTIONS
            while not done():
                pause = next_at - time.perf_counter()
                if pause > 0:
                    await asyncio.sleep(pause)
                next_at += period
                body = {
                    "subject": rng.choice(codes),
                    "matter": rng.choice(MATTERS),
                    "purpose": "public_resource_trading",
                }
                t = time.perf_counter()
                try:
                    r = await client.post(url, json=body)
                    kind = "" if r.status_code == 200 else f"{r.status_code} {r.text[:120]}"
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                if kind:
                    kinds[kind] = kinds.get(kind, 0) + 1
                if not kind:
                    latencies.append(time.perf_counter() - t)
                else:
                    errors += 1

        await asyncio.gather(*(worker(k) for k in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    out = Load(answered=len(latencies), errors=errors, seconds=elapsed, kinds=kinds)
    if latencies:
        out.p99_ms = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
        out.p50_ms = latencies[len(latencies) // 2] * 1000
        out.max_ms = latencies[-1] * 1000
    return out


async def _with_ingest(store: Store, url: str, csv_path: Path, rate: float) -> tuple[Load, float, int]:
    """The load from the ingest's start to its end; (load, ingest seconds, ingest exit code)."""
    stop = asyncio.Event()
    niceness = os.environ.get("XINYONG_BENCH_LOAD_NICE", "10")
    cmd = ["nice", "-n", niceness, *CLI, "ingest", str(csv_path)]
    cmd += ["--provider", "BENCH", "--item", "administrative_penalty"]
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=_child_env(store), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    load_task = asyncio.create_task(paced_load(url, store.key, store.codes, rate, stop))
    code = await proc.wait()
    seconds = time.perf_counter() - started
    stop.set()
    return await load_task, seconds, code


def _check_log_count(store: Store) -> int:
    from sqlalchemy import text

    from xinyong.core.db import make_engine

    engine = make_engine(url=store.url, schema=store.schema)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM measure_checks")).scalar_one())
    finally:
        engine.dispose()


@dataclass
class Result:
    store: str
    idle: Load
    loaded: Load
    ingest_seconds: float
    ingest_code: int
    logged: int
    rows: int
    subjects: int
    rate: float

    @property
    def answered(self) -> int:
        return self.idle.answered + self.loaded.answered

    @property
    def passed(self) -> bool:
        return (
            self.ingest_code == 0
            and self.idle.errors == 0
            and self.loaded.errors == 0
            and self.logged == self.answered
            and self.loaded.p99_ms <= GOAL_FACTOR * self.idle.p99_ms
        )


def measure(store: Store, label: str, csv_path: Path, seconds: float, rate: float) -> Result:
    port = free_port()
    server = serve(port, _child_env(store))
    url = f"http://127.0.0.1:{port}/api/v1/checks"
    try:
        asyncio.run(paced_load(url, store.key, store.codes, rate, 3.0))  # warm-up
        before = _check_log_count(store)
        idle = asyncio.run(paced_load(url, store.key, store.codes, rate, seconds))
        loaded, ingest_seconds, code = asyncio.run(_with_ingest(store, url, csv_path, rate))
        logged = _check_log_count(store) - before
    finally:
        server.terminate()
        server.wait(timeout=60)
    return Result(label, idle, loaded, ingest_seconds, code, logged, _rows(), _subjects(), rate)


def row(r: Result) -> Row:
    rows_per_s = r.rows / r.ingest_seconds if r.ingest_seconds else 0.0
    note = (
        f"{r.store}, {r.subjects:,} subjects, ingest of {r.rows:,} rows in {r.ingest_seconds:.0f} s "
        f"({rows_per_s:,.0f} rows/s incl. credit-state catch-up, exit {r.ingest_code}); "
        f"{CONNECTIONS} connections at {r.rate:.0f} checks/s offered; idle p50 {r.idle.p50_ms:.1f} ms, "
        f"with ingest p50 {r.loaded.p50_ms:.1f} ms, max {r.loaded.max_ms:.0f} ms; errors idle {r.idle.errors}, "
        f"with ingest {r.loaded.errors}; answered {r.answered:,}, check-log rows {r.logged:,}"
    )
    return Row(
        benchmark="check API p99 while a big ingest runs (POST /api/v1/checks) — " + note,
        measured=r.loaded.p99_ms,
        unit="ms",
        reference=r.idle.p99_ms,
        reference_name="idle p99, same server, same run",
        goal="≤3× idle p99, 0 errors, every answer logged",
        passed=r.passed,
        ratio=r.loaded.p99_ms / r.idle.p99_ms if r.idle.p99_ms else None,
    )


def run_sqlite() -> Result:
    n, rows = _subjects(), _rows()
    work = OUT / f"load_{n}"
    csv_path = OUT / f"load_{n}_{rows}.csv"
    OUT.mkdir(parents=True, exist_ok=True)
    write_csv(csv_path, rows, n)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    store = build(f"sqlite:///{work / 'xinyong.db'}", "", work / "var", n)
    seconds = float(os.environ.get("XINYONG_BENCH_SECONDS", "15"))
    rate = float(os.environ.get("XINYONG_BENCH_LOAD_RATE", "200"))
    return measure(store, "SQLite", csv_path, seconds, rate)


def run_postgres() -> Result:
    n, rows = _subjects(), _rows()
    csv_path = OUT / f"load_{n}_{rows}.csv"
    write_csv(csv_path, rows, n)
    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    work = OUT / f"load_pg_{n}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    from xinyong.core.db import make_engine

    admin = make_engine(url=PG_URL, schema="")
    try:
        store = build(PG_URL, schema, work / "var", n)
        seconds = float(os.environ.get("XINYONG_BENCH_SECONDS", "15"))
        rate = float(os.environ.get("XINYONG_BENCH_LOAD_RATE", "200"))
        return measure(store, "PostgreSQL", csv_path, seconds, rate)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def run() -> list[Row]:
    results = [run_sqlite()]
    if PG_URL:
        results.append(run_postgres())
    return [row(r) for r in results]


if __name__ == "__main__":
    for result in [run_sqlite(), *([run_postgres()] if PG_URL else [])]:
        print(result)
        print(row(result))
    print(datetime.now(UTC).isoformat())
