"""Calendar changes staff make (catalog.calendar) are ledgered."""

import json
from datetime import date

from sqlalchemy.orm import Session

from xinyong.catalog import calendar
from xinyong.ledger import service as ledger


def test_calendar_overrides_are_ledgered(session: Session) -> None:
    day = date(2026, 8, 10)
    calendar.add_override(session, day, False, "台风停工", "台政发〔2026〕1号", by="信用办")
    session.commit()
    ledger.checkpoint_pending(session)
    added = ledger.proof_for_ref(session, "calendar:2026-08-10", include_payload=True).entry
    assert added["kind"] == "calendar.override"
    payload = json.loads(added["payload"])  # the canonical JSON text that was hashed
    assert (payload["name"], payload["by"], payload["is_workday"]) == (
        "台风停工",
        "信用办",
        False,
    )

    calendar.remove_override(session, day)
    session.commit()
    ledger.checkpoint_pending(session)
    removed = ledger.proof_for_ref(session, "calendar:2026-08-10").entry
    assert removed["kind"] == "calendar.override_removed"
    assert ledger.verify(session).ok
