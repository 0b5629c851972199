"""Department approval before publication: a department that requires it has its submissions'
records wait as 待审核 (not public, not in the credit state or evaluation) until its officer
approves them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

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
