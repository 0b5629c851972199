"""Check API throughput and latency against a constant endpoint on the same server, same run.

``XINYONG_BENCH_CHECK_SUBJECTS`` sets N (default 1,000,000). Setup (not timed, cached under
``bench/out/``): a SQLite store built by the migrations, N enterprises written straight into
``subjects`` / ``subject_names`` (the FTS triggers fire) and their credit state rows — a grade
for every subject, list memberships for 2 % (blacklist) and 5 % (red list) — plus one serious
penalty (``records`` + ``record_versions``) for 1 % of them: the state the evaluation, lists
and records steps would have left. A regulator API key with ``checks:read`` is made through
the accounts service.

Measured: ``xinyong.app:server_app`` (as ``xinyong serve`` runs it) served by uvicorn (2 workers) on 127.0.0.1; 32 concurrent connections
from ``wrk`` (Debian package; the Python load generator below when wrk is missing), each side
for ``XINYONG_BENCH_SECONDS`` (default 15) seconds, interleaved ceiling / check / ceiling /
check and the better round of each kept:

* ceiling: ``GET /api/v1/health`` (a constant answer) with the same API key header, so both
  pay the same access middleware;
* check: ``POST /api/v1/checks`` for a random subject of the N and a random matter: subject
  lookup, the state row, the records it points to when its counts say so, the measure catalog,
  a receipt signed with the other receipts of its commit (one Ed25519 signature over their
  Merkle tree head) and its check-log and query-log rows, committed before the answer leaves.

Goals: check throughput ≥ 70 % of the ceiling and check p99 ≤ 20 ms.

After the HTTP runs, the *floor*: the SQL a check cannot do without (its two indexed reads and the
INSERT of its two log rows, 16 checks per commit), run with the sqlite3 driver alone on the same
store, in CPU µs per check, against the ceiling's CPU per request. It bounds the ratio any check
implementation could reach on this store and machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import Row
from bench.server import MATTERS, create_callers, free_port, serve, server_env, subject_codes

OUT = Path(__file__).resolve().parent / "out"
SEED = 2026
GOAL_RATIO = 0.70
GOAL_P99_MS = 20.0
CONNECTIONS = 32


def build_store(n: int) -> tuple[Path, Path, str]:
    """(store, var dir, API key) for N subjects, cached by N."""
    work = OUT / f"checks_{n}"
    db_path, var_dir, key_file = work / "xinyong.db", work / "var", work / "key.txt"
    if db_path.exists() and key_file.exists():
        return db_path, var_dir, key_file.read_text().strip()
    started = time.perf_counter()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.environ["XINYONG_VAR_DIR"] = str(var_dir)
    from xinyong.core.db import Database, make_engine
    from xinyong.core.migrate import upgrade
    from xinyong.core.settings import reset_settings

    reset_settings()
    engine = make_engine(url=f"sqlite:///{db_path}", schema="")
    upgrade(engine)
    db = Database(engine)
    with db.session() as s:
        provider, key = create_callers(s)
    engine.dispose()

    rng = random.Random(SEED)
    codes = subject_codes(n)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    today = date.today()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    chunk = 50_000
    rid = 0
    for start in range(0, n, chunk):
        subjects, names, states, records, versions = [], [], [], [], []
        for i in range(start, min(start + chunk, n)):
            sid = i + 1
            name = f"台州市基准{sid}号有限公司"
            subjects.append((sid, "enterprise", name, codes[i], "存续", 0, now, now))
            names.append((sid, name, 1))
            roll = rng.random()
            lists = None
            if roll < 0.02:
                lists = [{"list_type": "blacklist", "starts_on": "2026-01-05", "ends_on": "2029-01-04"}]
            elif roll < 0.07:
                lists = [{"list_type": "red_list", "starts_on": "2026-01-05", "ends_on": "2027-01-04"}]
            grade = rng.choices("ABCD", weights=(2.3, 76.4, 20.0, 1.3))[0]
            counts: dict[str, int] = {}
            if rng.random() < 0.01:
                rid += 1
                decided = today - timedelta(days=rng.randint(30, 600))
                counts = {"行政处罚": 1, "行政处罚:serious": 1}
                records.append(
                    (
                        rid,
                        sid,
                        "administrative_penalty",
                        "行政处罚",
                        provider.id,
                        f"基准罚〔2026〕{rid}号",
                        1,
                        "in_force",
                        "serious",
                        "bench",
                        decided.isoformat(),
                        "bench",
                        decided.isoformat(),
                        (decided + timedelta(days=365)).isoformat(),
                        (decided + timedelta(days=1095)).isoformat(),
                        now,
                        now,
                    )
                )
                data = {"document_number": f"基准罚〔2026〕{rid}号", "decision_date": decided.isoformat()}
                versions.append((rid, 1, "created", json.dumps(data, ensure_ascii=False), "0" * 64, now))
            states.append(
                (
                    sid,
                    json.dumps(counts, ensure_ascii=False),
                    counts.get("行政处罚", 0),
                    counts.get("行政处罚", 0),
                    counts.get("行政处罚:serious", 0),
                    0,
                    now,
                    now,
                    grade,
                    f"{rng.randint(600, 950)}.00",
                    "enterprise",
                    "2026.1",
                    now,
                    json.dumps(lists) if lists else None,
                )
            )
        con.executemany(
            "INSERT INTO subjects (id, kind, name, uscc, status, provisional, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            subjects,
        )
        con.executemany("INSERT INTO subject_names (subject_id, name, current) VALUES (?,?,?)", names)
        con.executemany(
            "INSERT INTO records (id, subject_id, item_code, category, provider_id, document_number, current_version, "
            "status, severity, severity_rule, decision_date, publicity_rule, publicity_start, publicity_min_end, "
            "publicity_end, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            records,
        )
        con.executemany(
            "INSERT INTO record_versions (record_id, version, change, data, content_hash, created_at) VALUES (?,?,?,?,?,?)",
            versions,
        )
        con.executemany(
            "INSERT INTO credit_states (subject_id, counts, records_in_force, negative_in_force, serious_in_force, "
            "last_event_id, last_change_at, updated_at, grade, score, model_code, model_version, evaluated_at, lists) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            states,
        )
        con.commit()
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    (work / "build_seconds.txt").write_text(f"{time.perf_counter() - started:.0f}")
    key_file.write_text(key)
    return db_path, var_dir, key


_LUA = """
local codes = {%s}
local matters = {%s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  local c = codes[math.random(#codes)]
  local m = matters[math.random(#matters)]
  return wrk.format(nil, "/api/v1/checks", nil,
    '{"subject":"' .. c .. '","matter":"' .. m .. '","purpose":"public_resource_trading"}')
end
"""


def _wrk(url: str, seconds: int, script: Path | None, key: str) -> tuple[float, float, int]:
    """(requests/s, p99 ms, non-2xx responses) from wrk."""
    cmd = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {key}",
    ]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert m, out
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, p99, int(bad.group(1)) if bad else 0


async def _pyload(url: str, seconds: int, key: str, codes: list[str] | None) -> tuple[float, float, int]:
    """The Python load generator (when wrk is missing): 32 connections, keep-alive."""
    import httpx

    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds
    rng = random.Random(1)
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        limits=limits, headers={"Authorization": f"Bearer {key}"}, timeout=10
    ) as client:

        async def worker() -> None:
            nonlocal bad
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                if codes is None:
                    r = await client.get(url)
                else:
                    body = {
                        "subject": rng.choice(codes),
                        "matter": rng.choice(MATTERS),
                        "purpose": "public_resource_trading",
                    }
                    r = await client.post(url, json=body)
                latencies.append(time.perf_counter() - t)
                bad += r.status_code >= 300

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(len(latencies) * 0.99) - 1] * 1000, bad


FLOOR_BATCH = 16  # checks per commit in the floor measurement (about what 16 connections per worker give)


def floor_cost(db_path: Path, codes: list[str], count: int = 8000) -> tuple[float, float]:
    """(CPU µs of the SQL one check cannot do without, its reads' share): on the same store, with
    the sqlite3 driver and nothing else, the two indexed reads of a check (subject by code, its
    state row) and the INSERT of the two log rows a check writes (the check-log row and the
    query-log entry the run just wrote, copied with new time-ordered ids), group-committed
    ``FLOOR_BATCH`` per transaction. No Python of Xinyong's: the least any check implementation
    on this store must spend, whatever it is written in."""
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "mmap_size=1073741824"):
        con.execute(f"PRAGMA {pragma}")
    # The floor's best case: the WAL the HTTP run left (GBs) copied back first.
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checks = con.execute(f"SELECT * FROM measure_checks ORDER BY issued_at DESC LIMIT {count}").fetchall()
    check_cols = [d[0] for d in con.execute("SELECT * FROM measure_checks LIMIT 1").description]
    entries = con.execute(f"SELECT * FROM query_log ORDER BY id DESC LIMIT {count}").fetchall()
    entry_cols = [d[0] for d in con.execute("SELECT * FROM query_log LIMIT 1").description]
    n = min(len(checks), len(entries))
    id_at, entry_id_at = check_cols.index("id"), entry_cols.index("id")
    insert_check = (
        f"INSERT INTO measure_checks ({', '.join(check_cols)}) VALUES ({', '.join('?' * len(check_cols))})"
    )
    kept = [c for c in entry_cols if c != "id"]
    insert_entry = f"INSERT INTO query_log ({', '.join(kept)}) VALUES ({', '.join('?' * len(kept))})"
    rng = random.Random(SEED)
    started = time.process_time()
    for _ in range(n):
        code = codes[rng.randrange(len(codes))]
        row = con.execute(
            "SELECT id, kind, name, uscc, id_number_masked, merged_into_id, provisional FROM subjects WHERE uscc = ?",
            (code,),
        ).fetchone()
        con.execute("SELECT * FROM credit_states WHERE subject_id = ?", (row[0],)).fetchall()
    reads = time.process_time() - started
    started = time.process_time()
    for start in range(0, n, FLOOR_BATCH):
        part = range(start, min(start + FLOOR_BATCH, n))
        now_ms = time.time_ns() // 1_000_000
        con.execute("BEGIN")
        con.executemany(
            insert_check,
            [
                tuple(
                    f"chk_{now_ms:012x}{rng.getrandbits(80):020x}" if j == id_at else v
                    for j, v in enumerate(checks[k])
                )
                for k in part
            ],
        )
        con.executemany(
            insert_entry, [tuple(v for j, v in enumerate(entries[k]) if j != entry_id_at) for k in part]
        )
        con.execute("COMMIT")
    writes = time.process_time() - started
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return (reads + writes) / n * 1e6, reads / (reads + writes)


def run() -> list[Row]:
    n = int(os.environ.get("XINYONG_BENCH_CHECK_SUBJECTS", "1000000"))
    seconds = int(os.environ.get("XINYONG_BENCH_SECONDS", "15"))
    db_path, var_dir, key = build_store(n)
    with sqlite3.connect(db_path) as con:  # every run starts with the store's WAL copied back
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    built = db_path.parent / "build_seconds.txt"
    setup = built.read_text().strip() if built.exists() else "?"
    codes = subject_codes(n)
    sample = random.Random(SEED).sample(codes, min(n, 20_000))
    port = free_port()
    proc = serve(port, {**os.environ, **server_env(var_dir), "XINYONG_DATABASE_URL": f"sqlite:///{db_path}"})
    base = f"http://127.0.0.1:{port}"
    use_wrk = shutil.which("wrk") is not None
    script = OUT / f"checks_{n}" / "check.lua"
    script.write_text(
        _LUA % (",".join(f'"{c}"' for c in sample), ",".join(f'"{m}"' for m in MATTERS), key),
        encoding="utf-8",
    )
    try:
        # Warm up both paths (imports, caches, the first signing key read).
        for code in sample[:50]:
            import httpx

            httpx.post(
                f"{base}/api/v1/checks",
                json={"subject": code, "matter": MATTERS[0], "purpose": "public_resource_trading"},
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            ).raise_for_status()
        best_ceiling = (0.0, 0.0, 0)
        best_check = (0.0, 0.0, 0)
        for _ in range(2):
            if use_wrk:
                ceiling = _wrk(f"{base}/api/v1/health", seconds, None, key)
                check = _wrk(f"{base}/api/v1/checks", seconds, script, key)
            else:
                ceiling = asyncio.run(_pyload(f"{base}/api/v1/health", seconds, key, None))
                check = asyncio.run(_pyload(f"{base}/api/v1/checks", seconds, key, sample))
            best_ceiling = max(best_ceiling, ceiling)
            best_check = max(best_check, check)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ratio = best_check[0] / best_ceiling[0] if best_ceiling[0] else 0.0
    tool = "wrk" if use_wrk else "Python httpx load generator"
    note = f"{n:,} subjects, {CONNECTIONS} connections, {tool}, uvicorn 2 workers, SQLite (store built in {setup} s, cached)"
    # What the ceiling costs per request: the machine's CPUs were saturated (server and load
    # generator), so CPU-seconds per second over requests per second.
    cpus = os.cpu_count() or 1
    ceiling_us = cpus / best_ceiling[0] * 1e6 if best_ceiling[0] else 0.0
    floor_us, read_share = floor_cost(db_path, sample)
    best_ratio = ceiling_us / (ceiling_us + floor_us) if ceiling_us else 0.0
    return [
        Row(
            "check floor: CPU of the SQL alone of one check (2 indexed reads + its 2 log rows, "
            f"{FLOOR_BATCH} checks per commit), sqlite3 driver on the same store",
            floor_us,
            "µs",
            ceiling_us,
            f"CPU per request of the ceiling ({cpus} CPUs / its req/s)",
            "info",
            None,
            note=(
                f"reads {read_share:.0%} of it; so any check, with no Python of its own, reaches at most "
                f"{best_ratio:.0%} of the ceiling here"
            ),
        ),
        Row(
            "check API POST /api/v1/checks: throughput vs a constant endpoint on the same server",
            best_check[0],
            "req/s",
            best_ceiling[0],
            "GET /api/v1/health",
            f"≥{GOAL_RATIO:.0%} of the ceiling",
            ratio >= GOAL_RATIO and best_check[2] == 0,
            ratio,
            note=note + (f"; {best_check[2]} non-2xx" if best_check[2] else ""),
        ),
        Row(
            "check API p99 latency at 32 connections",
            best_check[1],
            "ms",
            best_ceiling[1],
            "GET /api/v1/health p99",
            f"≤{GOAL_P99_MS:.0f} ms",
            best_check[1] <= GOAL_P99_MS,
            note=note,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
