"""Recovery of submissions applied in chunks: a live one is left to its process, a staged file
nobody owns is swept, a lost staged input closes the submission as failed and frees the outbox."""

from __future__ import annotations

import io
import os
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, RECEIVED_AT, penalty_row, to_csv, uscc
from xinyong.core import events
from xinyong.core.db import Database
from xinyong.core.errors import DomainError
from xinyong.core.settings import reset_settings
from xinyong.ingest import service, staging


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        penalty_row(i, CF_XDR_MC=f"台州市恢复{i % 10}号有限公司", CF_XDR_SHXYM=uscc(i % 10)) for i in range(n)
    ]


def test_a_submission_another_process_is_applying_is_left_alone(
    db: Database, session: Session, provider: service.ProviderInfo
) -> None:
    paused, resume = threading.Event(), threading.Event()
    results: list[Any] = []

    def progress(done: int, _total: int | None) -> None:
        if done == 1000:
            paused.set()
            resume.wait(60)

    def work() -> None:
        try:
            with db.session() as s:
                results.append(
                    service.submit(
                        s, provider, PENALTY, _rows(1500), progress=progress, received_at=RECEIVED_AT
                    )
                )
        except BaseException as exc:
            results.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert paused.wait(60), results
        (sub_id,) = service.applying(session)
        assert service.recover(session) == []  # its staged input is locked: a live submission
        assert service.get_submission(session, sub_id).status == "applying"
        assert events.horizon(session) is not None
        session.rollback()
    finally:
        resume.set()
        worker.join(60)
    (result,) = results
    assert not isinstance(result, BaseException), result
    assert (result.status, result.rows_created) == ("done", 1500)
    assert service.applying(session) == [] and events.horizon(session) is None
    assert list(staging.staging_dir().iterdir()) == []  # discarded after the final commit


def test_a_file_is_refused_before_its_first_commit_when_it_breaks_half_way(
    session: Session, provider: service.ProviderInfo
) -> None:
    """The file is read through before anything is stored: too many rows refuse it whole."""
    data = to_csv(_rows(2100))
    os.environ["XINYONG_MAX_ROWS_PER_SUBMISSION"] = "2000"
    reset_settings()
    try:
        with pytest.raises(DomainError) as exc:
            service.submit_file(
                session, provider, PENALTY, io.BytesIO(data), "big.csv", received_at=RECEIVED_AT
            )
    finally:
        del os.environ["XINYONG_MAX_ROWS_PER_SUBMISSION"]
        reset_settings()
    assert exc.value.code == "ingest.too_many_rows"
    failed = service.get_submission(session, exc.value.details["submission_id"])
    assert (failed.status, failed.rows_total) == ("failed", 0)
    assert service.list_submission_rows(session, failed.id).total == 0
    assert events.horizon(session) is None
    assert list(staging.staging_dir().iterdir()) == []


def test_orphan_staging_is_swept_and_lost_input_fails_the_submission(
    session: Session, provider: service.ProviderInfo
) -> None:
    # A process killed while staging, before its submission existed: nothing was stored.
    orphan = staging.staging_dir() / f"{uuid.uuid4()}{staging.FILE_SUFFIX}"
    orphan.write_bytes(b"CF_WSH\n1\n")

    def boom(done: int, _total: int | None) -> None:
        if done >= 1000:
            raise RuntimeError("the process dies here")

    with pytest.raises(RuntimeError):
        service.submit(session, provider, PENALTY, _rows(1500), progress=boom, received_at=RECEIVED_AT)
    (sub_id,) = service.applying(session)
    for path in staging.staging_dir().glob(f"{sub_id}*"):
        path.unlink()  # the staged input is lost (disk replaced, var wiped ...)

    assert service.recover(session) == []
    assert not orphan.exists()
    failed = service.get_submission(session, sub_id)
    assert failed.status == "failed" and failed.rows_total == 1000
    assert failed.errors[-1]["code"] == "ingest.recovery_input_missing"
    assert events.horizon(session) is None  # the consumers are not held back forever
