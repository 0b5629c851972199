"""Department approval before publication: a department that requires it has its submissions'
records wait as 待审核 (not public, not in the credit state or evaluation) until its officer
approves them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.fixtures import verified
from tests.ingest.factory import PENALTY, RECEIVED_AT, penalty_row
from xinyong.core.errors import Conflict, NotFound
from xinyong.creditstate import service as creditstate_service
from xinyong.ingest import service
from xinyong.ledger.models import LedgerEntry
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service


def test_records_wait_for_the_departments_approval(session: Session, provider: service.ProviderInfo) -> None:
    info = service.set_requires_approval(session, provider.code, True, by="admin")
    assert info.requires_approval
    res = service.submit(
        session, provider.code, PENALTY, [penalty_row(1), penalty_row(2)], received_at=RECEIVED_AT
    )
    assert res.rows_created == 2
    pending = service.pending_submissions(session, provider.code)
    assert [(p.id, p.pending) for p in pending] == [(res.id, 2)]
    sid = subjects_service.get_by_code(session, penalty_row(1)["CF_XDR_SHXYM"]).id
    for view in ("public", "government", "subject"):
        assert records_service.list_subject_records(session, sid, visibility=view).total == 0
    assert creditstate_service.subject_summary(session, sid).records_in_force == 0

    with pytest.raises(NotFound):
        service.approve_submission(session, res.id, provider_code="someone_else", officer="x")
    done = service.approve_submission(session, res.id, provider_code=provider.code, officer="zhang_san")
    assert (done.approved, done.subjects) == (2, 2)
    assert records_service.list_subject_records(session, sid, visibility="government").total == 1
    assert creditstate_service.subject_summary(session, sid).records_in_force == 1
    assert service.pending_submissions(session, provider.code) == []
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "submission.approved")).one()
    assert json.loads(entry.payload)["officer"] == "zhang_san"
    with pytest.raises(Conflict):
        service.approve_submission(session, res.id, provider_code=provider.code, officer="zhang_san")


def test_without_the_setting_records_are_in_force_at_once(
    session: Session, provider: service.ProviderInfo
) -> None:
    res = service.submit(session, provider.code, PENALTY, [penalty_row(3)], received_at=RECEIVED_AT)
    assert res.rows_created == 1 and service.pending_submissions(session, provider.code) == []


def test_publicity_runs_from_the_approval_not_the_receipt(
    session: Session, provider: service.ProviderInfo
) -> None:
    """Under the default reading of 国家发展改革委令2025年第36号 a penalty's period runs from its
    publication (公示之日); a record held 待审核 is published when its department approves it."""
    from datetime import date

    from xinyong.records import integrity
    from xinyong.records.models import Record, RecordVersion

    service.set_requires_approval(session, provider.code, True, by="admin")
    res = service.submit(session, provider.code, PENALTY, [penalty_row(5)], received_at=RECEIVED_AT)
    record = session.scalars(select(Record)).one()
    received = record.publicity_start
    assert received == date(2025, 10, 10) and record.status == "pending"
    held_for = record.publicity_end - received  # type: ignore[operator]

    service.approve_submission(session, res.id, provider_code=provider.code, officer="zhang_san")
    session.expire_all()
    record = session.scalars(select(Record)).one()
    approved = record.publicity_start
    assert approved is not None and approved > received
    assert record.publicity_end - approved == held_for  # type: ignore[operator]
    versions = session.execute(
        select(RecordVersion.version, RecordVersion.change, RecordVersion.content_hash)
        .where(RecordVersion.record_id == record.id)
        .order_by(RecordVersion.version)
    ).all()
    assert [(v, c) for v, c, _ in versions] == [(1, "created"), (2, "approved")]
    assert versions[0][2] == versions[1][2]  # the content is unchanged
    view = records_service.get_record(session, record.id)
    assert view.publicity_start == approved and view.status == "in_force"
    assert not verified(session, integrity.verify_records, "records", "信用记录").findings


def test_a_correction_held_for_approval_keeps_its_first_publication(
    session: Session, provider: service.ProviderInfo
) -> None:
    from datetime import date

    from xinyong.records.models import Record

    service.submit(session, provider.code, PENALTY, [penalty_row(6)], received_at=RECEIVED_AT)
    first = session.scalars(select(Record)).one().publicity_start
    assert first == date(2025, 10, 10)
    service.set_requires_approval(session, provider.code, True, by="admin")
    res = service.submit(
        session, provider.code, PENALTY, [penalty_row(6, CF_NR_FK="0.8")], received_at=RECEIVED_AT
    )
    assert service.pending_submissions(session, provider.code)[0].pending == 1
    service.approve_submission(session, res.id, provider_code=provider.code, officer="zhang_san")
    session.expire_all()
    record = session.scalars(select(Record)).one()
    assert record.status == "in_force" and record.publicity_start == first and record.current_version == 3
