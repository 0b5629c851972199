"""Timeliness counted on the provisional 2027 is marked, and recounted by the daily job once the
2027 notice is loaded: the late flag, its warning, the submission's late count, the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.core.notice_fixture import notice_2027
from tests.ingest.factory import PENALTY, penalty_row
from xinyong.core.calendar_notice import load_notice
from xinyong.core.db import Database
from xinyong.core.ledger_models import LedgerEntry
from xinyong.ingest import service
from xinyong.jobs import run_daily

D = date.fromisoformat


def test_timeliness_in_january_2027_is_recounted_after_the_notice(
    session: Session, db: Database, provider: service.ProviderInfo
) -> None:
    received = datetime(2027, 2, 12, 2, 0, tzinfo=UTC)  # Friday 12 February, China time
    rows = [
        penalty_row(1, CF_JDRQ="2027-01-26"),  # provisional: 9 working days, late (limit 7)
        penalty_row(2, CF_JDRQ="2026-12-08"),  # long before: late on any calendar
        penalty_row(3, CF_JDRQ="2026-11-30"),  # late too; its count crosses into 2027 as well
    ]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=received)
    first, second, third = service.list_submission_rows(session, result.id, per_page=10).items
    assert (first.late, first.delay_working_days, first.calendar_basis) == (True, 9, "provisional")
    assert third.late and third.calendar_basis == "provisional"
    assert "按法定节假日推算" in next(w["message_zh"] for w in first.warnings if w["rule"] == "ingest.late")
    assert second.late and second.calendar_basis == "provisional"
    assert result.rows_late == 3
    load_notice(session, notice_2027(), by="test")
    session.commit()
    daily = run_daily(db, D("2027-02-15"))
    assert daily.timeliness_recounted == 3  # each delay changed (the first flips to on time)
    session.expire_all()
    first, second, third = service.list_submission_rows(session, result.id, per_page=10).items
    assert third.late and third.calendar_basis == "notice"
    # The notice: 27–29 Jan, 1–4 Feb, then 春节 5–13 Feb → 7 working days, on time.
    assert (first.late, first.delay_working_days, first.calendar_basis) == (False, 7, "notice")
    assert "ingest.late" not in [w["rule"] for w in first.warnings]
    assert second.late and second.calendar_basis == "notice"
    assert service.get_submission(session, result.id).rows_late == 2
    entries = list(
        session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "ingest.timeliness_recounted"))
    )
    assert entries[0].ref == f"submission:{result.id}/r1"
    assert run_daily(db, D("2027-02-16")).timeliness_recounted == 0  # idempotent
