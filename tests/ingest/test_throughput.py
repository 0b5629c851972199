"""Bulk ingest stays bulk: a file's rows are stored with a handful of statements per thousand
rows, whether its subjects are known or new, and the result is the one row-by-row storing gives
(every row stored, one provisional subject and case per new code, a ledger that verifies)."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, RECEIVED_AT, penalty_row, to_csv, uscc
from xinyong.ingest import service
from xinyong.ledger import service as ledger
from xinyong.records.models import Record, RecordVersion
from xinyong.subjects import service as subjects

ROWS = 2500


def _statements(session: Session) -> tuple[list[str], Any]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", count)


def test_a_file_of_known_and_new_subjects_takes_a_few_statements_per_thousand_rows(
    session: Session, provider: service.ProviderInfo
) -> None:
    # Half the file names registered subjects, half names codes the platform has never seen.
    subjects.create_subjects(
        session,
        [
            {"kind": "enterprise", "name": f"台州市椒江区鑫达{i}号机械制造有限公司", "uscc": uscc(i)}
            for i in range(0, ROWS, 2)
        ],
    )
    session.commit()
    rows = [penalty_row(i) for i in range(ROWS)]
    seen, stop = _statements(session)
    try:
        result = service.submit_file(
            session,
            provider.code,
            PENALTY,
            io.BytesIO(to_csv(rows)),
            "penalties.csv",
            received_at=RECEIVED_AT,
        )
    finally:
        stop()
    assert (result.rows_total, result.rows_created, result.rows_rejected) == (ROWS, ROWS, 0)
    # Per 1,000 rows: subject lookups, provisional subjects with their names and cases, the
    # record lookup, records, versions, events, per-row results; then the ledger and the
    # credit states (PostgreSQL adds the id sequences and the outbox lock). Row-by-row storing
    # took several statements per row (over 10,000 here).
    # (A file of over 1,000 rows is applied in 1,000-row chunks, each committed with its
    # bookkeeping: the outbox hold, the submission's progress.)
    assert len(seen) < 60 * (ROWS // 1000 + 1), len(seen)
    assert session.scalar(select(func.count()).select_from(Record)) == ROWS
    assert session.scalar(select(func.count()).select_from(RecordVersion)) == ROWS
    cases = subjects.list_cases(session, kind="provisional_subject", per_page=1)
    assert cases.total == ROWS // 2
    assert ledger.verify(session).ok
    # Sent again: every row is unchanged and nothing new is written but the per-row results.
    again = service.submit_file(
        session, provider.code, PENALTY, io.BytesIO(to_csv(rows)), "penalties.csv", received_at=RECEIVED_AT
    )
    assert again.rows_unchanged == ROWS
    assert subjects.list_cases(session, kind="provisional_subject", per_page=1).total == ROWS // 2
