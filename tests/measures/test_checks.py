"""The check API: measures with reasons, legal basis and valid-until, read from the credit state
row; signed receipts that anyone can verify (API and offline script); the check log; batch
checks by JSON, CSV and XLSX."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy.orm import Session

from tests.measures.helpers import LICENSING, PROCUREMENT, build_city, set_grade, set_lists
from xinyong.core import calendar
from xinyong.core.db import Database

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _check(
    client: TestClient,
    headers: dict[str, str],
    code: str,
    matter: str,
    purpose: str = "public_resource_trading",
) -> dict:
    r = client.post(
        "/api/v1/checks", json={"subject": code, "matter": matter, "purpose": purpose}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_punishments_with_reasons_basis_and_valid_until(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    answer = _check(client, auth_headers("regulator"), city.bad_code, PROCUREMENT)
    assert answer["rewards"] == []
    by_code = {m["code"]: m for m in answer["punishments"]}
    assert set(by_code) == {"P01", "P02"}
    p01 = by_code["P01"]
    assert p01["name_zh"] == "限制参加政府采购活动"
    assert {(b["law"], b["article"]) for b in p01["basis"]} == {
        ("台州市企业信用促进条例", "第二十一条"),
        ("浙江省公共信用信息管理条例", "第二十六条"),
    }
    (reason,) = p01["reasons"]
    assert reason == {
        "type": "list",
        "list": "blacklist",
        "class": "serious_list",
        "since": "2026-03-20",
        "until": "2029-03-19",
        "procedure_id": 7,
    }
    assert p01["valid_until"] == "2029-03-19"
    # P02: the serious penalty, for 36 months from the decision at most (政府采购法第二十二条).
    (record,) = by_code["P02"]["reasons"]
    assert record["type"] == "record" and record["severity"] == "serious"
    assert record["document_number"] == "台市监罚〔2026〕1号"
    assert record["decision_date"] == "2026-03-02"
    assert by_code["P02"]["valid_until"] == min(record["publicity_end"], "2029-03-01")
    assert answer["state"]["grade"] == "D" and answer["state"]["lists"] == ["blacklist"]
    # The grade D alone triggers nothing for procurement; for daily supervision it does (P07).
    sup = _check(client, auth_headers("regulator"), city.bad_code, "daily_supervision", "supervision")
    kinds = {r["type"] for m in sup["punishments"] if m["code"] == "P07" for r in m["reasons"]}
    assert kinds == {"record", "list", "grade"}


def test_rewards_exclusions_and_answers_follow_the_state_row(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    headers = auth_headers("provider")
    answer = _check(client, headers, city.good_code, LICENSING, "administrative_approval")
    codes = [m["code"] for m in answer["rewards"]]
    assert codes == ["R01", "R02"] and answer["punishments"] == []
    r01 = answer["rewards"][0]
    assert {r["type"] for r in r01["reasons"]} == {"list", "grade"}
    assert r01["valid_until"] is None  # a grade holds until the next evaluation
    # On the watch list too: 容缺受理 is excluded (深圳条例第五十九条), and says why.
    set_lists(
        session,
        city.good,
        [
            {"list_type": "red_list", "starts_on": "2026-01-05", "ends_on": "2027-01-04"},
            {"list_type": "watch_list", "starts_on": "2026-06-01"},
        ],
    )
    session.commit()
    answer = _check(client, headers, city.good_code, LICENSING, "administrative_approval")
    assert [m["code"] for m in answer["rewards"]] == []
    excluded = {e["code"]: e for e in answer["excluded"]}
    assert set(excluded) == {"R01", "R02"}
    assert excluded["R01"]["excluded_by"][0]["list"] == "watch_list"
    assert excluded["R01"]["basis"][0]["article"] == "第五十九条第（四）项"
    assert [m["code"] for m in answer["punishments"]] == ["P08"]
    # A subject with nothing on its state row: nothing applies, still a signed receipt.
    plain = _check(client, headers, city.plain_code, LICENSING, "administrative_approval")
    assert plain["rewards"] == plain["punishments"] == [] and plain["feedback_due_on"] is None
    assert plain["receipt"]["batch"]["signature"] and plain["receipt"]["proof"]["index"] >= 0
    # The grade moves (evaluation writes the state row): the answer follows, nothing recomputed.
    set_grade(session, city.plain, "A", "900")
    session.commit()
    plain = _check(client, headers, city.plain_code, LICENSING, "administrative_approval")
    assert [m["code"] for m in plain["rewards"]] == ["R01", "R02"]
    assert plain["rewards"][0]["reasons"][0]["score"] == "900.00"


def test_receipt_verifies_online_and_offline_and_detects_tampering(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    city = build_city(session)
    answer = _check(client, auth_headers("credit_office"), city.bad_code, PROCUREMENT)
    receipt = answer["receipt"]
    assert receipt["format"] == "xinyong-check-receipt/2"
    assert receipt["batch"]["format"] == "xinyong-check-batch/1" and receipt["batch"]["size"] >= 1
    assert receipt["id"] == answer["check_id"] and receipt["algorithm"] == "Ed25519"
    assert [m["code"] for m in receipt["measures"]] == ["P01", "P02"]
    assert receipt["rule_version"]["ruleset"] == "default 2026.1"
    assert receipt["data_version"]["lists"] == ["blacklist"] and receipt["data_version"]["records"]
    public_key = client.get("/api/v1/ledger/public-key").json()
    assert receipt["batch"]["key_id"] == public_key["key_id"]
    # Anyone (no credentials) may verify; with the answer, the measures are checked too.
    full = {k: answer[k] for k in ("rewards", "punishments", "excluded")}
    r = client.post("/api/v1/checks/verify", json={"receipt": receipt, "answer": full})
    assert r.status_code == 200
    assert r.json() | {} == {
        "valid": True,
        "check_id": answer["check_id"],
        "key_id": public_key["key_id"],
        "signature_valid": True,
        "answer_matches": True,
        "logged": True,
        "message": "The receipt is genuine",
        "message_zh": "回执真实有效：签名验证通过",
    }
    forged = {**receipt, "measures": []}
    assert client.post("/api/v1/checks/verify", json={"receipt": forged}).json()["valid"] is False
    # The seal belongs to this receipt only: another index or a changed path does not verify.
    moved = {**receipt, "proof": {**receipt["proof"], "index": receipt["proof"]["index"] + 1}}
    assert client.post("/api/v1/checks/verify", json={"receipt": moved}).json()["valid"] is False
    resigned = {**receipt, "batch": {**receipt["batch"], "root": "00" * 32}}
    assert client.post("/api/v1/checks/verify", json={"receipt": resigned}).json()["valid"] is False
    trimmed = {**full, "punishments": full["punishments"][:1]}
    bad = client.post("/api/v1/checks/verify", json={"receipt": receipt, "answer": trimmed}).json()
    assert bad["signature_valid"] is True and bad["answer_matches"] is False and bad["valid"] is False
    # Offline: the documented script with nothing but the public key.
    (tmp_path / "answer.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "key.json").write_text(json.dumps(public_key), encoding="utf-8")
    script = [
        sys.executable,
        str(DOCS / "verify_check_receipt.py"),
        str(tmp_path / "answer.json"),
        str(tmp_path / "key.json"),
    ]
    ok = subprocess.run(script, capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout + ok.stderr
    answer["punishments"][0]["basis"] = []
    (tmp_path / "answer.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    tampered = subprocess.run(script, capture_output=True, text=True, check=False)
    assert tampered.returncode == 1 and "do not match" in tampered.stdout


def test_errors_access_and_the_check_log(
    client: TestClient, session: Session, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    regulator = auth_headers("regulator")
    r = client.post(
        "/api/v1/checks",
        json={"subject": city.bad_code, "matter": "no_such", "purpose": "supervision"},
        headers=regulator,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "measures.unknown_matter"
    r = client.post(
        "/api/v1/checks",
        json={"subject": "91331002000000099X", "matter": PROCUREMENT, "purpose": "supervision"},
        headers=regulator,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "subject.not_found"
    assert (
        client.post(
            "/api/v1/checks", json={"subject": city.bad_code, "matter": PROCUREMENT, "purpose": "supervision"}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/checks",
            json={"subject": city.bad_code, "matter": PROCUREMENT, "purpose": "supervision"},
            headers=auth_headers("bank"),
        ).status_code
        == 403
    )
    answer = _check(client, regulator, city.bad_code, PROCUREMENT)
    _check(client, auth_headers("credit_office"), city.good_code, PROCUREMENT)
    # Feedback is due 10 working days later (feedback.yaml), counted on the working-day calendar.
    with db.session() as s:
        issued = datetime.fromisoformat(answer["issued_at"]).astimezone(timezone(timedelta(hours=8))).date()
        due = calendar.load_calendar(s).add_working_days(issued, 10)
    assert answer["feedback_due_on"] == due.isoformat()
    mine = client.get("/api/v1/checks", headers=regulator).json()
    assert mine["total"] == 1 and mine["items"][0]["measures"] == ["P01", "P02"]
    assert mine["items"][0]["purpose"] == "public_resource_trading"
    assert client.get("/api/v1/checks", headers=auth_headers("credit_office")).json()["total"] == 2
    logged = client.get(f"/api/v1/checks/{answer['check_id']}", headers=regulator).json()
    assert logged["receipt"] == answer["receipt"]
    other = auth_headers("provider")
    assert client.get(f"/api/v1/checks/{answer['check_id']}", headers=other).status_code == 404


def test_batch_check_by_json_csv_and_xlsx(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    city = build_city(session)
    headers = auth_headers("regulator")
    codes = [city.bad_code, city.good_code, city.plain_code, "91331002000000099X"]
    r = client.post(
        "/api/v1/checks/batch",
        json={"subjects": codes, "matter": PROCUREMENT, "purpose": "public_resource_trading"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    batch = r.json()
    assert (batch["total"], batch["found"], batch["not_found"]) == (4, 3, 1)
    assert (batch["with_rewards"], batch["with_punishments"]) == (1, 1)
    results = batch["results"]
    assert [m["code"] for m in results[0]["check"]["punishments"]] == ["P01", "P02"]
    assert [m["code"] for m in results[1]["check"]["rewards"]] == ["R05"]
    assert results[3]["ok"] is False and results[3]["error"]["code"] == "subject.not_found"
    receipt = results[1]["check"]["receipt"]
    assert client.post("/api/v1/checks/verify", json={"receipt": receipt}).json()["valid"] is True

    # CSV as departments export it: GBK, a title-less header row.
    csv_bytes = (f"序号,投标人名称,统一社会信用代码\n1,甲,{city.bad_code}\n2,乙,{city.good_code}\n").encode(
        "gbk"
    )
    r = client.post(
        "/api/v1/checks/batch/file",
        files={"file": ("bidders.csv", csv_bytes, "text/csv")},
        data={"matter": "bidding", "purpose": "public_resource_trading"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [m["code"] for m in res[0]["check"]["punishments"]] == ["P03"]
    assert [m["code"] for m in res[1]["check"]["rewards"]] == ["R06"]

    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码（投标人）"])
    ws.append([city.plain_code])
    ws.append([city.bad_code])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        "/api/v1/checks/batch/file",
        files={
            "file": (
                "bidders.xlsx",
                buf.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
        data={"matter": "land_transfer", "purpose": "public_resource_trading"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["found"] == 2 and [m["code"] for m in res["results"][1]["check"]["punishments"]] == ["P04"]
    assert client.get("/api/v1/checks", headers=headers).json()["total"] == 4 + 2 + 2 - 1
    # A file without a code column is refused with the headers it had.
    r = client.post(
        "/api/v1/checks/batch/file",
        files={"file": ("x.csv", "名称\n甲\n".encode(), "text/csv")},
        data={"matter": "bidding", "purpose": "supervision"},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "measures.batch_no_code_column"


def test_catalog_is_published(client: TestClient) -> None:
    r = client.get("/api/v1/measures", params={"matter": PROCUREMENT})
    assert r.status_code == 200
    body = r.json()
    assert [m["code"] for m in body["measures"]] == ["P01", "P02", "R05"]
    assert body["version"].startswith("default 2026.1/measures@")
    assert all(m["bases"] for m in body["measures"])
    assert client.get("/api/v1/measures/P01").json()["when"][0]["classes"] == ["serious_list"]
    matters = {m["code"] for m in client.get("/api/v1/measures/matters").json()}
    assert {
        "government_procurement",
        "fiscal_funds",
        "honours",
        "administrative_licensing",
        "bidding",
        "land_transfer",
    } <= matters
    assert client.get("/api/v1/measures/NOPE").status_code == 404


def test_liable_person_of_a_listed_enterprise(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    from tests.records import helpers as rh

    city = build_city(session)
    person = rh.person(session, 5, "李四")
    set_lists(
        session,
        person,
        [
            {
                "liability": "blacklist",
                "procedure_id": 7,
                "for_subject_id": city.bad,
                "role": "legal_representative",
                "restricted_until": "2029-03-19",
            }
        ],
    )
    session.commit()
    answer = _check(client, auth_headers("regulator"), rh.ric(5), "appointment", "administrative_approval")
    (p10,) = answer["punishments"]
    assert p10["code"] == "P10" and p10["valid_until"] == "2029-03-19"
    reason = p10["reasons"][0]
    assert (reason["type"], reason["list"], reason["for_subject_id"], reason["role"]) == (
        "liability",
        "blacklist",
        city.bad,
        "legal_representative",
    )
    assert answer["subject"]["code"] != rh.ric(5) and "*" in answer["subject"]["code"]  # masked
    # The enterprise itself is not a natural person: P10 never applies to it.
    assert (
        _check(client, auth_headers("regulator"), city.bad_code, "appointment", "supervision")["punishments"]
        == []
    )


def test_concurrent_checks_are_each_logged_before_their_answer(
    db: Database, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    """Checks served at the same time on one event loop share group commits of the check log;
    every answer's row (and its query-log entry) is committed when the answer arrives."""
    import asyncio

    import httpx

    from xinyong.app import create_app

    city = build_city(session)
    regulator = auth_headers("regulator")
    app = create_app(db)

    async def run() -> list[dict]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def one(code: str) -> dict:
                r = await client.post(
                    "/api/v1/checks",
                    json={"subject": code, "matter": PROCUREMENT, "purpose": "public_resource_trading"},
                    headers=regulator,
                )
                assert r.status_code == 200, r.text
                answer = r.json()
                # Committed before the answer left: another connection sees the row now.
                with db.engine.connect() as conn:
                    from sqlalchemy import text

                    n = conn.execute(
                        text("SELECT COUNT(*) FROM measure_checks WHERE id = :id"), {"id": answer["check_id"]}
                    ).scalar_one()
                assert n == 1
                return answer

            return await asyncio.gather(*(one(c) for c in [city.bad_code, city.good_code] * 10))

    answers = asyncio.run(run())
    assert len({a["check_id"] for a in answers}) == 20
    with db.engine.connect() as conn:
        from sqlalchemy import text

        refs = conn.execute(text("SELECT reference FROM query_log WHERE action = 'check'")).scalars().all()
    assert {f"check:{a['check_id']}" for a in answers} <= set(refs)
