"""A licence sent as 无效 (双公示 XK_ZT=2) is still a published record but is not a licence held."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.evaluation import helpers as h
from xinyong.evaluation import service
from xinyong.records import service as records


def test_an_invalid_licence_is_not_counted_as_held(session: Session) -> None:
    today = records.today_china()
    pid = h.provider(session)
    valid = h.enterprise(session, 11)
    revoked = h.enterprise(session, 12)
    h.licence(session, valid, pid, "台市监许〔2026〕11号", decided=today - timedelta(days=60))
    h.licence(
        session, revoked, pid, "台市监许〔2026〕12号", decided=today - timedelta(days=60), status="2"
    )  # 无效, as ingest stores it
    session.commit()
    service.run_batch(session)
    session.commit()
    assert Decimal(service.explain(session, valid).features["licences_held"]) == 1
    assert Decimal(service.explain(session, revoked).features["licences_held"]) == 0
    # The record itself stays on file and in force (it is still published as 双公示 information).
    (rec,) = records.evaluation_records(
        session,
        items=["administrative_licence"],
        facts={"administrative_licence": ["status"]},
        subject_ids=[revoked],
    )
    assert rec.facts["status"] == "2"
