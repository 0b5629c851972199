"""Issue 20 §5: schemathesis over the whole OpenAPI schema, anonymously and with a key of every
account role: no input reaches a 500 and every answer matches its declared schema.

The operations are read from the application's own schema at test time, so a router added later
is fuzzed without touching this file. Examples per operation and caller are bounded
(``XINYONG_FUZZ_EXAMPLES``, default 3) to keep the run to a couple of minutes on two cores; the
figures of a run are in docs/reliability.md.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.ingest.factory import LICENCE, PENALTY, RECEIVED_AT, licence_row, penalty_row, uscc
from xinyong.accounts.principal import ACCOUNT_ROLES
from xinyong.core.db import Database
from xinyong.core.settings import reset_settings
from xinyong.evaluation import engine as evaluation_engine
from xinyong.evaluation import service as evaluation_service
from xinyong.ingest import service as ingest_service

# The report verification upload takes the PDF itself as the body: a few PDF-looking byte strings
# (a real header, a truncated file, garbage), so the route is fuzzed like every other.
schemathesis.openapi.media_type(
    "application/pdf",
    st.sampled_from([b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n%%EOF\n", b"%PDF-1.4\n1 0 obj\n", b"not a pdf"]),
)

EXAMPLES = int(os.environ.get("XINYONG_FUZZ_EXAMPLES", "3"))
# Fuzz only the operations whose "METHOD path" contains one of these "|"-separated parts.
ONLY = os.environ.get("XINYONG_FUZZ_ONLY", "")
# Operations that do lasting work per call are fuzzed with fewer examples (they are covered by
# their own tests); the key is "METHOD path".
_SLOW = {"POST /api/v1/evaluation/runs", "POST /api/v1/evaluation/backtest"}


def _runner(
    operation: Any,
    label: str,
    role: str,
    headers: dict[str, str],
    calls: Counter[str],
    failures: list[str],
) -> Callable[[], None]:
    """A hypothesis test of one operation for one caller (bounded, derandomised examples)."""

    @settings(
        max_examples=1 if label in _SLOW else EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        calls[role] += 1
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance], headers=headers
            )
        except Exception as exc:  # every failure is listed, not only the first
            kind = "schema" if isinstance(exc, JsonSchemaError) else type(exc).__name__
            failures.append(
                f"{role} {label} → {response.status_code} ({kind}): "
                f"{case.path_parameters} {case.query} {str(exc)[:300]}"
            )

    return run


@pytest.fixture
def fuzz_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_RATE_LIMIT_PER_MINUTE", "0")  # thousands of calls from one client
    monkeypatch.setenv("XINYONG_EVALUATION_RUN_MIN_INTERVAL_SECONDS", "0")
    # A generated `engine: spark` would start a JVM per worker; its 503 answer is what is fuzzed
    # here (tests/evaluation covers Spark itself).
    monkeypatch.setattr(evaluation_engine, "spark_available", lambda: False)
    reset_settings()
    evaluation_service.reset_admissions()


def test_openapi_fuzz_no_server_error_no_schema_violation(
    db: Database, fuzz_env: None, auth_headers: Callable[..., dict[str, str]]
) -> None:
    from xinyong.app import create_app

    with db.session() as s:  # a few records, so that reads find something to answer with
        provider, _ = ingest_service.create_provider(
            s, "fuzz", "台州市市场监督管理局", None, [PENALTY, LICENCE]
        )
        rows = [penalty_row(i) for i in range(1, 4)]
        ingest_service.submit(s, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
        ingest_service.submit(s, provider, LICENCE, [licence_row(1)], "api", received_at=RECEIVED_AT)
    app = create_app(db)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    callers: dict[str, dict[str, str]] = {"public": {}}
    for role in ACCOUNT_ROLES:
        extra = {"subject_code": uscc(1)} if role == "subject" else {}
        callers[role] = auth_headers(role, **extra)

    failures: list[str] = []
    calls: Counter[str] = Counter()
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if ONLY and not any(part in label for part in ONLY.split("|")):
            continue
        for role, headers in callers.items():
            _runner(operation, label, role, headers, calls, failures)()
    elapsed = time.perf_counter() - started
    print(f"schemathesis: {sum(calls.values())} calls ({dict(calls)}) in {elapsed:.1f} s")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])
