"""Batch-signed check receipts: the receipts of one commit (or one batch check) share one
Ed25519 signature over a Merkle tree head, and each still verifies on its own, online and
offline; older one-signature receipts still verify; the API's hand-built answer is exactly the
``CheckAnswer`` model's JSON; a malformed check request gets the usual 422 error shape."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import orjson
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.measures.helpers import PROCUREMENT, build_city
from xinyong.accounts.principal import Principal
from xinyong.core.db import Database
from xinyong.ledger import service as ledger
from xinyong.measures import checklog, receipts, service
from xinyong.measures.schemas import CheckAnswer


def _caller() -> service.Caller:
    who = Principal(role="regulator", kind="api_key", department_code="TZ-CZJ")
    return service.Caller(label="key:test", role="regulator", department_code="TZ-CZJ", principal=who)


def _fast(db: Database, code: str) -> tuple[dict, list[dict], list[dict]]:
    return service.check_fast(
        db, subject_code=code, matter_code=PROCUREMENT, purpose="public_resource_trading", caller=_caller()
    )


def _verify(client: TestClient, receipt: dict) -> bool:
    r = client.post("/api/v1/checks/verify", json={"receipt": receipt})
    assert r.status_code == 200, r.text
    return bool(r.json()["valid"])


def test_concurrent_checks_share_one_signature_and_each_verifies_alone(
    client: TestClient, session: Session, db: Database
) -> None:
    city = build_city(session)
    session.commit()
    codes = [city.bad_code, city.good_code, city.plain_code, city.bad_code, city.good_code]

    async def run() -> list[dict]:
        log = checklog.AsyncCheckLog(db)

        async def one(code: str) -> dict:
            answer, rows, query_rows = _fast(db, code)
            await log.write(rows, query_rows)
            return orjson.loads(service.answer_json(answer))

        return await asyncio.gather(*(one(c) for c in codes))

    answers = asyncio.run(run())
    heads = {json.dumps(a["receipt"]["batch"], sort_keys=True) for a in answers}
    assert len(heads) == 1  # committed together: one tree head, one signature
    (head,) = [a["receipt"]["batch"] for a in answers[:1]]
    assert head["size"] == len(codes) and head["format"] == "xinyong-check-batch/1"
    assert sorted(a["receipt"]["proof"]["index"] for a in answers) == list(range(len(codes)))
    for a in answers:
        assert _verify(client, a["receipt"])
    # A proof belongs to its own receipt only.
    first, second = answers[0]["receipt"], answers[1]["receipt"]
    assert not _verify(client, {**first, "proof": second["proof"]})
    assert not receipts.verify({**first, "subject": {**first["subject"], "name": "别人"}})
    # What was answered is what the check log keeps.
    for a in answers:
        assert service.get_check(session, a["check_id"], _caller())["receipt"] == a["receipt"]


def test_batch_check_signs_once_and_its_receipts_verify_alone(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    r = client.post(
        "/api/v1/checks/batch",
        json={
            "subjects": [city.bad_code, city.good_code, city.plain_code],
            "matter": PROCUREMENT,
            "purpose": "public_resource_trading",
        },
        headers=auth_headers("regulator"),
    )
    assert r.status_code == 200, r.text
    found = [item["check"]["receipt"] for item in r.json()["results"]]
    assert len({rc["batch"]["signature"] for rc in found}) == 1 and found[0]["batch"]["size"] == 3
    assert all(_verify(client, rc) for rc in found)


def test_receipts_issued_before_batch_signing_still_verify(client: TestClient, db: Database) -> None:
    old = ledger.sign_document(
        {"format": receipts.LEGACY_FORMAT, "id": "chk_old", "measures": [], "algorithm": "Ed25519"}
    )
    assert receipts.verify(old) and receipts.key_id(old) == ledger.public_key_info()["key_id"]
    assert _verify(client, old)
    assert not receipts.verify({**old, "measures": [{"code": "P01"}]})


def test_the_answer_is_the_check_answer_model(session: Session, db: Database) -> None:
    city = build_city(session)
    session.commit()
    for code in (city.bad_code, city.good_code, city.plain_code):
        answer, rows, _ = _fast(db, code)
        receipts.seal([rows[0]["receipt"]])
        body = service.answer_json(answer)
        model = CheckAnswer.model_validate_json(body)
        assert orjson.loads(model.model_dump_json()) == orjson.loads(body)


def test_a_malformed_check_request_is_refused_with_the_usual_error(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("regulator")
    r = client.post("/api/v1/checks", json={"matter": PROCUREMENT, "purpose": "supervision"}, headers=headers)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and error["details"]["errors"][0]["field"] == "subject"
    r = client.post(
        "/api/v1/checks", content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    extra = {"subject": "x", "matter": PROCUREMENT, "purpose": "supervision", "bogus": 1}
    r = client.post("/api/v1/checks", json=extra, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["details"]["errors"][0]["field"] == "bogus"
    # The documented schema of the body is still the CheckRequest model.
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/checks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"subject", "matter"} and "purpose" in body["properties"]
