"""The check API's kept-open reader (``xinyong.core.rawsql``): the same rows, typed the same, as
the SQLAlchemy reads it replaces, on both stores; every read sees what was committed before it;
a broken connection is replaced."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tests.records import helpers as rh
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.subjects import service as subjects


def test_fast_reads_equal_the_session_reads(session: Session, db: Database) -> None:
    company = rh.enterprise(session, 1, "台州市快速读取有限公司")
    person = rh.person(session, 2)
    creditstate.set_evaluations(
        session,
        [
            creditstate.EvaluationState(
                company, "B", Decimal("812.50"), "enterprise", "2026.1", datetime.now(UTC)
            )
        ],
    )
    creditstate.set_list_memberships(
        session, {company: [{"list_type": "red_list", "starts_on": "2026-01-05"}]}
    )
    session.commit()
    for code in (rh.uscc(1), rh.ric(2)):
        assert subjects.brief_by_code_fast(db, code) == subjects.brief_by_code(session, code)
    assert subjects.brief_by_code_fast(db, "91331002MA0000000X") is None
    assert subjects.brief_by_code_fast(db, "") is None
    fast = creditstate.check_state_fast(db, company)
    assert fast is not None and fast == creditstate.check_states(session, [company])[company]
    assert fast.score == Decimal("812.50") and isinstance(fast.evaluated_at, datetime)
    assert fast.lists == [{"list_type": "red_list", "starts_on": "2026-01-05"}]
    assert creditstate.check_state_fast(db, person) == creditstate.check_states(session, [person]).get(person)


def test_every_read_sees_what_was_committed_before_it(session: Session, db: Database) -> None:
    company = rh.enterprise(session, 3)
    session.commit()
    before = creditstate.check_state_fast(db, company)
    creditstate.set_evaluations(
        session,
        [
            creditstate.EvaluationState(
                company, "D", Decimal("400"), "enterprise", "2026.1", datetime.now(UTC)
            )
        ],
    )
    session.commit()
    after = creditstate.check_state_fast(db, company)
    assert after is not None and after.grade == "D" and (before is None or before.grade != "D")


def test_a_broken_connection_is_replaced(session: Session, db: Database) -> None:
    rh.enterprise(session, 4)
    session.commit()
    assert subjects.brief_by_code_fast(db, rh.uscc(4)) is not None
    with db.reader.connection() as raw:
        raw.dbapi.close()  # e.g. the server went away
    with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
        subjects.brief_by_code_fast(db, rh.uscc(4))
    assert subjects.brief_by_code_fast(db, rh.uscc(4)) is not None
