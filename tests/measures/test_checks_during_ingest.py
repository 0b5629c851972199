"""A check is answered, and logged, while a big ingest is half-way: the ingest holds the store's
write lock for one batch at a time, never for the whole submission, and what it has stored so far
does not show in the credit state the check reads (issue 20 §1: during a 200,000-row ingest the
check API answered nothing for two minutes, then 500 "database is locked")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, RECEIVED_AT, penalty_row
from tests.measures.helpers import PROCUREMENT, build_city
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.ingest import service as ingest_service

ROWS = 2500
PLAIN_NAME = "台州市普通贸易有限公司"


def test_a_check_during_a_long_ingest_is_answered_and_logged(
    db: Database, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    regulator = auth_headers("regulator")
    session.commit()
    rows = [penalty_row(i, CF_XDR_MC=PLAIN_NAME, CF_XDR_SHXYM=city.plain_code) for i in range(ROWS)]
    paused, resume = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def progress(done: int, _total: int | None) -> None:
        if done == 1000:  # the first batch is committed; the submission is applying
            paused.set()
            resume.wait(60)

    def ingest() -> None:
        try:
            with db.session() as s:
                ingest_service.submit(s, "TZSCJ", PENALTY, rows, progress=progress, received_at=RECEIVED_AT)
        except BaseException as exc:  # reported to the test below
            failures.append(exc)

    worker = threading.Thread(target=ingest)
    worker.start()
    try:
        assert paused.wait(120), failures
        started = time.monotonic()
        r = client.post(
            "/api/v1/checks",
            json={"subject": city.plain_code, "matter": PROCUREMENT, "purpose": "public_resource_trading"},
            headers=regulator,
        )
        elapsed = time.monotonic() - started
        assert r.status_code == 200, r.text
        assert elapsed < 5, elapsed  # not queued behind the ingest (its busy timeout is 30 s)
        check_id = r.json()["check_id"]
        with db.engine.connect() as conn:
            logged = conn.execute(
                text("SELECT COUNT(*) FROM measure_checks WHERE id = :id"), {"id": check_id}
            ).scalar_one()
            in_query_log = conn.execute(
                text("SELECT COUNT(*) FROM query_log WHERE reference = :r"), {"r": f"check:{check_id}"}
            ).scalar_one()
        assert (logged, in_query_log) == (1, 1)
        # The 1,000 records already committed are not in the credit state yet: the submission
        # shows as a whole, at its final commit.
        with db.session() as s:
            assert creditstate.subject_summary(s, city.plain).records_in_force == 0
            (sub_id,) = ingest_service.applying(s)
            assert ingest_service.get_submission(s, sub_id).status == "applying"
    finally:
        resume.set()
        worker.join(120)
    assert not failures, failures
    with db.session() as s:
        assert creditstate.subject_summary(s, city.plain).records_in_force == ROWS
        assert ingest_service.applying(s) == []
