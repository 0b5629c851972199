"""Quarantine: rejected rows are kept, listed, corrected and resubmitted, or discarded with a note."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, RECEIVED_AT, penalty_row, uscc
from xinyong.core.errors import Conflict, InvalidInput
from xinyong.ingest import service
from xinyong.records import service as records_service


def _quarantine_two(session: Session, provider: service.ProviderInfo) -> list[service.QuarantineInfo]:
    rows = [
        penalty_row(1),
        penalty_row(2, CF_JDRQ="2025-13-01"),
        penalty_row(3, CF_NR_FK="-100", CF_XDR_SHXYM="00000000000000000X"),
    ]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
    assert result.rows_rejected == 2
    page = service.list_quarantine(session, provider=provider.code, item_code=PENALTY)
    assert page.total == 2
    return page.items


def test_rows_are_kept_as_received_with_reasons(session: Session, provider: service.ProviderInfo) -> None:
    bad_date, two_errors = _quarantine_two(session, provider)
    assert bad_date.raw["CF_JDRQ"] == "2025-13-01"  # the original header and value
    assert [e["rule"] for e in bad_date.errors] == ["ingest.date_format"]
    assert {e["rule"] for e in two_errors.errors} == {"ingest.negative_amount", "ingest.placeholder_code"}
    assert service.get_quarantine(session, bad_date.id).row_number == 2


def test_correct_and_resubmit_creates_the_record(session: Session, provider: service.ProviderInfo) -> None:
    bad_date, _ = _quarantine_two(session, provider)
    # The correction may name the field by its national code, Chinese name or Xinyong code.
    result = service.correct_and_resubmit(
        session, bad_date.id, {"处罚决定日期": "2025/10/9"}, received_at=RECEIVED_AT
    )
    assert (result.channel, result.rows_created, result.rows_rejected) == ("resubmit", 1, 0)
    row = service.list_submission_rows(session, result.id).items[0]
    record = records_service.get_record(session, row.record_id or 0)
    assert record.data["decision_date"] == "2025-10-09"
    assert record.document_number == "台椒市监处罚〔2025〕2号"
    q = service.get_quarantine(session, bad_date.id)
    assert (q.status, q.resolved_submission_id) == ("resolved", result.id)
    with pytest.raises(Conflict):
        service.correct_and_resubmit(session, bad_date.id, {"decision_date": "2025-10-09"})
    assert service.list_quarantine(session, provider=provider.code).total == 1


def test_a_still_invalid_correction_changes_nothing(session: Session, provider: service.ProviderInfo) -> None:
    _, two_errors = _quarantine_two(session, provider)
    with pytest.raises(InvalidInput) as exc:
        service.correct_and_resubmit(session, two_errors.id, {"CF_NR_FK": "100"})
    assert exc.value.code == "ingest.still_invalid"
    assert [e["rule"] for e in exc.value.details["errors"]] == ["ingest.placeholder_code"]
    assert service.get_quarantine(session, two_errors.id).status == "open"
    fixed = service.correct_and_resubmit(
        session,
        two_errors.id,
        {"fine_amount": "100", "CF_XDR_SHXYM": uscc(3)},
        received_at=RECEIVED_AT,
    )
    assert fixed.rows_created == 1


def test_unknown_correction_field(session: Session, provider: service.ProviderInfo) -> None:
    bad_date, _ = _quarantine_two(session, provider)
    with pytest.raises(InvalidInput) as exc:
        service.correct_and_resubmit(session, bad_date.id, {"不存在的列": "x"})
    assert exc.value.code == "ingest.unknown_field"


def test_discard_keeps_the_note(session: Session, provider: service.ProviderInfo) -> None:
    bad_date, _ = _quarantine_two(session, provider)
    with pytest.raises(InvalidInput):
        service.discard(session, bad_date.id, "  ")
    q = service.discard(session, bad_date.id, "重复报送，原件已于10月9日更正")
    assert (q.status, q.note) == ("discarded", "重复报送，原件已于10月9日更正")
    assert service.list_quarantine(session, provider=provider.code, status="discarded").total == 1
    assert service.list_quarantine(session, provider=provider.code, status=None).total == 2
