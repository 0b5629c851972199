"""Batch lookups other domains make by record id (the credit state's incremental check, data
quality's count of objections held per item)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, penalty_row
from xinyong.core.clock import CHINA_TZ
from xinyong.ingest import service as ingest
from xinyong.records import service
from xinyong.records.models import Record


def test_subjects_and_items_of_records(session: Session) -> None:
    ingest.create_provider(session, "tz_scjgj", "台州市市场监督管理局", None, [PENALTY])
    session.commit()
    rows = [penalty_row(i, CF_JDRQ="2026-11-30") for i in (1, 2)]
    ingest.submit(session, "tz_scjgj", PENALTY, rows, received_at=datetime(2026, 12, 3, 10, tzinfo=CHINA_TZ))
    ids = list(session.scalars(select(Record.id).order_by(Record.id)))
    assert len(ids) == 2
    subjects = service.subjects_of_records(session, [*ids, 999_999])
    assert set(subjects) == set(ids) and len(set(subjects.values())) == 2
    assert service.item_codes_of(session, ids) == {ids[0]: PENALTY, ids[1]: PENALTY}
    assert service.item_codes_of(session, []) == {}
