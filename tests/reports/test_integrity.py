"""The report register under ``xinyong ledger verify``: a register row or stored PDF changed, or a
report deleted, behind the platform's back is named."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.fixtures import verified
from tests.portal.seed import City
from xinyong.accounts.principal import Principal
from xinyong.ledger.integrity import CheckReport
from xinyong.reports import integrity, service


def _check(session: Session) -> CheckReport:
    return verified(session, integrity.verify_reports, "reports", "信用报告登记簿")


def test_register_rows_and_files_match_their_entries(session: Session, city: City) -> None:
    clerk = Principal(role="credit_office", kind="user", username="clerk")
    issued = service.issue_report(session, clerk, city.company_uscc)
    session.commit()
    assert _check(session).total == 0 and _check(session).rows == 1

    session.execute(
        text(f"UPDATE credit_reports SET valid_until = '2099-01-01' WHERE number = '{issued.number}'")
    )
    changed = _check(session)
    assert [(f.key, f.column, f.found) for f in changed.findings] == [
        (f"number={issued.number}", "valid_until", "2099-01-01")
    ]
    session.rollback()

    session.execute(text(f"DELETE FROM credit_reports WHERE number = '{issued.number}'"))
    gone = _check(session)
    assert [(f.key, f.expected, f.found) for f in gone.findings] == [
        (f"number={issued.number}", "present", None)
    ]
    session.rollback()
