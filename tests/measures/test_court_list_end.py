"""A punishment resting on the courts' 失信被执行人名单 ends with the list entry (two years,
法释〔2017〕7号第二条), not with the court record's publicity window (up to three years)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.measures.helpers import PROCUREMENT, set_lists
from tests.records import helpers as rh
from xinyong.creditstate import consumer
from xinyong.ingest import service as ingest_service

DEBTOR = "台州市拒执建材有限公司"


def _court_record(session: Session) -> tuple[int, str]:
    court = ingest_service.create_provider(
        session, "TZZY", "台州市中级人民法院", None, ["dishonest_judgment_debtor"]
    )[0].id
    sid = rh.enterprise(session, 41, DEBTOR)
    rh.store(
        session,
        sid,
        court,
        {
            "subject_name": DEBTOR,
            "uscc": rh.uscc(41),
            "court": "台州市中级人民法院",
            "document_number": "(2026)浙10执恢12号",
            "obligation": "支付货款 50 万元及利息",
            "dishonest_conduct": "有履行能力而拒不履行生效法律文书确定义务",
            "decision_date": date(2026, 3, 2),
        },
        item_code="dishonest_judgment_debtor",
    )
    session.commit()
    consumer.process_events(session)
    return sid, rh.uscc(41)


def _p01(client: TestClient, headers: dict[str, str], code: str) -> dict | None:
    r = client.post(
        "/api/v1/checks",
        json={"subject": code, "matter": PROCUREMENT, "purpose": "public_resource_trading"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return next((m for m in r.json()["punishments"] if m["code"] == "P01"), None)


def test_court_list_punishment_ends_with_the_entry_not_the_publicity_window(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    sid, code = _court_record(session)
    # The court's entry: two years from 2026-03-02; the record itself is published for 3 years.
    set_lists(
        session,
        sid,
        [
            {
                "list_type": "dishonest_judgment_debtor",
                "starts_on": "2026-03-02",
                "ends_on": "2028-03-01",
                "procedure_id": 31,
            }
        ],
    )
    session.commit()
    p01 = _p01(client, auth_headers("regulator"), code)
    assert p01 is not None
    record = next(r for r in p01["reasons"] if r["type"] == "record")
    assert record["publicity_end"] > "2028-03-01"  # the record outlives the entry …
    assert record["until"] == "2028-03-01"  # … the punishment does not
    assert p01["valid_until"] == "2028-03-01"

    # The entry ends (period over, or the debtor performed): the punishment goes with it,
    # although the court record is still published.
    set_lists(session, sid, [])
    session.commit()
    assert _p01(client, auth_headers("regulator"), code) is None
