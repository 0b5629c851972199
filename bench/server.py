"""What the check-API benchmarks (bench_checks, bench_load) share: the subjects' codes, the
BENCH provider with a regulator's key, and the app served by uvicorn on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from xinyong.accounts.service import ProviderInfo

# The matters the checks ask about (the check API's ``matter`` values).
MATTERS = (
    "government_procurement",
    "bidding",
    "administrative_licensing",
    "fiscal_funds",
    "daily_supervision",
)


def subject_codes(n: int) -> list[str]:
    """The USCCs of the benchmark's ``n`` enterprises (the same codes for the same ``n``)."""
    from xinyong.core.identifiers import make_uscc

    return [make_uscc("9", "1", "331002", f"{i:08d}") for i in range(1, n + 1)]


def create_callers(session: Session) -> tuple[ProviderInfo, str]:
    """The BENCH provider of penalties and the key of a regulator allowed to run checks."""
    from xinyong.accounts import service as accounts_service
    from xinyong.ingest import service as ingest_service

    provider, _ = ingest_service.create_provider(
        session, "BENCH", "基准测试处罚机关", None, ["administrative_penalty"]
    )
    accounts_service.create_department(session, "BENCH-CZJ", "基准测试财政局")
    _, key = accounts_service.create_api_key(
        session, name="bench", role="regulator", scopes=["checks:read"], department_code="BENCH-CZJ"
    )
    return provider, key


def server_env(var_dir: Path) -> dict[str, str]:
    """The settings of a benchmarked server: no rate limit, and the tick, evaluation and push
    jobs off (they would compete with the load for the same cores)."""
    return {
        "XINYONG_VAR_DIR": str(var_dir),
        "XINYONG_SECRET_KEY": os.environ.get("XINYONG_SECRET_KEY", "bench-secret-not-for-production"),
        "XINYONG_RATE_LIMIT_PER_MINUTE": "0",
        "XINYONG_TICK_INTERVAL_SECONDS": "0",
        "XINYONG_EVALUATION_POLL_SECONDS": "0",
        "XINYONG_PUSH_POLL_SECONDS": "0",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``xinyong.app:server_app`` under uvicorn (2 workers), once its health endpoint answers."""
    cmd = [sys.executable, "-m", "uvicorn", "xinyong.app:server_app", "--factory", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "2", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env)
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")
