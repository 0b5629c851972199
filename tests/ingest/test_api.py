"""The ingest HTTP API: X-Api-Key, JSON batches, file uploads, row errors, quarantine, metrics."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.ingest.factory import LICENCE, PENALTY, licence_row, penalty_row, to_csv, to_xlsx
from xinyong.core.settings import reset_settings
from xinyong.ingest import service


def _h(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


def _error(resp: Any) -> dict[str, Any]:
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "message_zh", "details"}
    return dict(body["error"])


def test_key_required(client: TestClient) -> None:
    resp = client.post("/api/v1/submissions", json={"item": PENALTY, "rows": [penalty_row(1)]})
    # The access-control middleware may answer first; either way: 401 in the one error shape.
    assert resp.status_code == 401 and _error(resp)["message_zh"]
    resp = client.get("/api/v1/quarantine", headers=_h("xy_000000000000_nope"))
    assert resp.status_code == 401


def test_json_batch_and_row_errors(client: TestClient, api_key: str) -> None:
    rows = [penalty_row(1), penalty_row(2, CF_NR_FK="-1", CF_JDRQ="明天")]
    resp = client.post("/api/v1/submissions", json={"item": PENALTY, "rows": rows}, headers=_h(api_key))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["rows_total"], body["rows_created"], body["rows_rejected"], body["rows_accepted"]) == (
        2,
        1,
        1,
        1,
    )
    rejected = next(r for r in body["problems"] if r["outcome"] == "rejected")
    assert {e["rule"] for e in rejected["errors"]} == {"ingest.negative_amount", "ingest.date_format"}

    detail = client.get(body["rows_url"], params={"outcome": "rejected"}, headers=_h(api_key)).json()
    assert detail["status"] == "done" and detail["rows"]["total"] == 1
    (row,) = detail["rows"]["items"]
    error = next(e for e in row["errors"] if e["rule"] == "ingest.negative_amount")
    assert (error["row"], error["field"], error["header"], error["value"]) == (
        2,
        "fine_amount",
        "CF_NR_FK",
        "-1",
    )
    assert error["message_zh"]
    page = client.get(body["rows_url"], params={"per_page": 1, "page": 2}, headers=_h(api_key)).json()
    assert page["rows"]["total"] == 2 and page["rows"]["items"][0]["row"] == 2

    listed = client.get("/api/v1/submissions", headers=_h(api_key)).json()
    assert [s["id"] for s in listed["items"]] == [body["id"]]


def test_other_providers_see_nothing(client: TestClient, session: Session, api_key: str) -> None:
    _, other = service.create_provider(session, "tz_other", "台州市交通运输局", None, [LICENCE])
    session.commit()
    sub = client.post(
        "/api/v1/submissions",
        json={"item": PENALTY, "rows": [penalty_row(1, CF_NR_FK="x")]},
        headers=_h(api_key),
    ).json()
    assert client.get(f"/api/v1/submissions/{sub['id']}", headers=_h(other)).status_code == 404
    assert client.get("/api/v1/quarantine", headers=_h(other)).json()["total"] == 0
    resp = client.post(
        "/api/v1/submissions", json={"item": PENALTY, "rows": [penalty_row(1)]}, headers=_h(other)
    )
    assert resp.status_code == 403 and _error(resp)["code"] == "ingest.item_not_allowed"
    resp = client.get("/api/v1/providers/tz_api/metrics", headers=_h(other))
    assert resp.status_code == 403


def test_unknown_item(client: TestClient, api_key: str) -> None:
    resp = client.post("/api/v1/submissions", json={"item": "nope", "rows": [{}]}, headers=_h(api_key))
    assert resp.status_code == 404 and _error(resp)["code"] == "catalog.unknown_item"


def test_file_upload_gbk_csv_and_xlsx(client: TestClient, api_key: str) -> None:
    data = to_csv([penalty_row(i) for i in range(1, 4)], encoding="gbk")
    resp = client.post(
        "/api/v1/submissions/file",
        files={"file": ("行政处罚.csv", data, "text/csv")},
        data={"item": PENALTY},
        headers=_h(api_key),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["file_format"], body["encoding"], body["rows_created"]) == ("csv", "gb18030", 3)
    assert body["filename"] == "行政处罚.csv"

    xlsx = to_xlsx([licence_row(1), licence_row(2)], titles=("行政许可信息",))
    resp = client.post(
        "/api/v1/submissions/file",
        files={"file": ("许可.xlsx", xlsx, "application/octet-stream")},
        data={"item": LICENCE},
        headers=_h(api_key),
    )
    assert resp.status_code == 201 and resp.json()["rows_created"] == 2


def test_file_level_rejections(client: TestClient, api_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{k: v for k, v in penalty_row(1).items() if k != "CF_CFLB"}]
    resp = client.post(
        "/api/v1/submissions/file",
        files={"file": ("x.csv", to_csv(rows), "text/csv")},
        data={"item": PENALTY},
        headers=_h(api_key),
    )
    assert resp.status_code == 422
    err = _error(resp)
    assert err["code"] == "ingest.missing_columns" and "处罚类别" in err["message_zh"]
    failed = client.get(f"/api/v1/submissions/{err['details']['submission_id']}", headers=_h(api_key)).json()
    assert failed["status"] == "failed"

    resp = client.post(
        "/api/v1/submissions/file",
        files={"file": ("x.csv", b"", "text/csv")},
        data={"item": PENALTY},
        headers=_h(api_key),
    )
    assert resp.status_code == 422 and _error(resp)["code"] == "ingest.empty_file"

    monkeypatch.setenv("XINYONG_MAX_UPLOAD_BYTES", "1000")
    reset_settings()
    resp = client.post(
        "/api/v1/submissions/file",
        files={"file": ("x.csv", to_csv([penalty_row(i) for i in range(10)]), "text/csv")},
        data={"item": PENALTY},
        headers=_h(api_key),
    )
    # The request-size guard in front of the app may refuse the body before ingest reads it.
    assert resp.status_code == 413 and _error(resp)["code"] in ("ingest.file_too_large", "too_large")


def test_quarantine_resubmit_discard_and_metrics(client: TestClient, api_key: str) -> None:
    rows = [penalty_row(1, CF_NR_FK="-1"), penalty_row(2, CF_XDR_SHXYM="00000000000000000X")]
    client.post("/api/v1/submissions", json={"item": PENALTY, "rows": rows}, headers=_h(api_key))
    page = client.get("/api/v1/quarantine", headers=_h(api_key)).json()
    assert page["total"] == 2
    first, second = page["items"]
    assert first["raw"]["CF_NR_FK"] == "-1" and first["errors"][0]["rule"] == "ingest.negative_amount"

    still = client.post(
        f"/api/v1/quarantine/{first['id']}/resubmit", json={"values": {"CF_NR_FK": "-2"}}, headers=_h(api_key)
    )
    assert still.status_code == 422 and _error(still)["code"] == "ingest.still_invalid"
    ok = client.post(
        f"/api/v1/quarantine/{first['id']}/resubmit",
        json={"values": {"罚款金额（万元）": "2"}},
        headers=_h(api_key),
    )
    assert ok.status_code == 201 and ok.json()["rows_created"] == 1 and ok.json()["channel"] == "resubmit"

    resp = client.post(
        f"/api/v1/quarantine/{second['id']}/discard",
        json={"note": "该当事人为自然人，另行报送"},
        headers=_h(api_key),
    )
    assert resp.status_code == 200 and resp.json()["status"] == "discarded"
    assert client.get("/api/v1/quarantine", headers=_h(api_key)).json()["total"] == 0
    everything = client.get("/api/v1/quarantine", params={"status": ""}, headers=_h(api_key)).json()
    assert {q["status"] for q in everything["items"]} == {"resolved", "discarded"}

    m = client.get("/api/v1/providers/tz_api/metrics", headers=_h(api_key)).json()
    assert (m["submissions"], m["rows_submitted"], m["rows_rejected"], m["rows_created"]) == (2, 3, 2, 1)
    assert m["rejected_by_rule"] == {"ingest.negative_amount": 1, "ingest.placeholder_code": 1}
