"""The catalog over HTTP."""

from __future__ import annotations

import io
from urllib.parse import unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook


def test_list_items(client: TestClient) -> None:
    r = client.get("/api/v1/catalog/items")
    assert r.status_code == 200
    body = r.json()
    assert body["ruleset"] == "default"
    codes = {i["code"]: i for i in body["items"]}
    assert codes["administrative_penalty"]["name_zh"] == "行政处罚"
    assert codes["administrative_penalty"]["double_publicity"] is True
    assert codes["honour"]["template_url"] == "/api/v1/catalog/items/honour/template.xlsx"


def test_item_detail_shows_fields_disclosure_and_aliases(client: TestClient) -> None:
    r = client.get("/api/v1/catalog/items/administrative_penalty")
    assert r.status_code == 200
    body = r.json()
    assert body["timeliness_working_days"] == 7
    fields = {f["code"]: f for f in body["fields"]}
    assert fields["legal_representative_id_number"]["disclosure"] == "confidential"
    assert "CF_XDR_SFZ" in fields["id_number"]["aliases"]
    assert {o["label"] for o in fields["penalty_types"]["enum"]} >= {"警告", "吊销许可证件"}


def test_unknown_item_uses_the_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/catalog/items/nope")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "catalog.unknown_item" and err["message_zh"]
    assert client.get("/api/v1/catalog/items/nope/template.xlsx").status_code == 404


def test_template_download(client: TestClient) -> None:
    r = client.get("/api/v1/catalog/items/administrative_licence/template.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "行政许可报送模板.xlsx" in unquote(r.headers["content-disposition"])
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert ws["A1"].value == "行政相对人名称*"


def test_rule_tables(client: TestClient) -> None:
    pub = client.get("/api/v1/catalog/rules/publicity").json()
    versions = pub["table"]["rules"]["negative_by_severity"]["versions"]
    order36 = next(v for v in versions if v["id"] == "order36-2026")
    assert order36["effective_from"] == "2026-04-01" and order36["source"]
    assert order36["classes"]["serious"] == {
        **order36["classes"]["serious"],
        "min_months": 12,
        "max_months": 36,
    }

    sev = client.get("/api/v1/catalog/rules/severity").json()["table"]
    assert {"type": "吊销许可证件", "severity": "serious"}.items() <= next(
        p for p in sev["penalty_types"] if p["type"] == "吊销许可证件"
    ).items()
    assert sev["fine_thresholds"][0]["id"] == "default"

    tl = client.get("/api/v1/catalog/rules/timeliness").json()["table"]
    assert len(tl["action_kinds"]) == 10
