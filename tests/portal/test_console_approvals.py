"""Department approval in the console (/console/approvals) and the API: the market regulator's
officer approves a submission whose records waited as 待审核; an API key cannot approve."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.ingest.factory import PENALTY, penalty_row
from tests.portal.console_seed import MARKET_OFFICER, ConsoleCity, signed_in
from xinyong.creditstate import service as creditstate_service
from xinyong.ingest import service as ingest_service
from xinyong.ledger.models import LedgerEntry
from xinyong.subjects import service as subjects_service


def test_the_officer_approves_in_the_console(
    client: TestClient,
    session: Session,
    console_city: ConsoleCity,
    auth_headers: Callable[..., dict[str, str]],
) -> None:
    ingest_service.set_requires_approval(session, "TZ-SCJG", True, by="test")
    res = ingest_service.submit(session, "TZ-SCJG", PENALTY, [penalty_row(71)])
    assert res.rows_created == 1
    sid = subjects_service.get_by_code(session, penalty_row(71)["CF_XDR_SHXYM"]).id
    assert creditstate_service.subject_summary(session, sid).records_in_force == 0

    # The API: the department's key lists what waits, but only a person may approve.
    key = auth_headers("provider", provider_code="TZ-SCJG")
    listed = client.get("/api/v1/approvals", headers=key)
    assert listed.status_code == 200 and [p["id"] for p in listed.json()] == [res.id]
    refused = client.post(f"/api/v1/submissions/{res.id}/approve", headers=key)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ingest.approval_needs_officer"

    signed_in(client, MARKET_OFFICER)
    page = client.get("/console/approvals")
    assert page.status_code == 200 and "报送审核" in page.text and "审核通过" in page.text
    r = client.post(
        f"/console/approvals/{res.id}/approve",
        data={"csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    done = client.get(r.headers["location"])
    assert "已审核通过" in done.text and "没有待审核的报送批次" in done.text
    session.expire_all()
    assert creditstate_service.subject_summary(session, sid).records_in_force == 1
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "submission.approved")).one()
    assert json.loads(entry.payload)["officer"] == f"user:{MARKET_OFFICER}"
