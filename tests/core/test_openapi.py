"""/docs as people try it: an Authorize button (security schemes), Chinese tags and summaries, and
validation errors that say in Chinese what is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_openapi_declares_security_schemes_and_chinese_tags(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["SessionCookie"]["in"] == "cookie"
    assert schemes["Bearer"]["scheme"] == "bearer"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert CJK.search(op.get("summary", "")), f"{method.upper()} {path}: summary not in Chinese"
            for tag in op.get("tags", []):
                assert CJK.search(tag), f"{method.upper()} {path}: tag {tag!r} not in Chinese"
    assert any(t["name"] == "信用主体（subjects）" for t in spec["tags"])


def test_validation_errors_say_what_is_wrong_in_chinese(client: TestClient) -> None:
    r = client.get("/api/v1/subjects", params={"q": "台州", "per_page": 0})
    assert r.status_code == 422
    err = r.json()["error"]
    problem = err["details"]["errors"][0]
    assert problem["field"] == "per_page"
    assert problem["message_zh"] == "per_page 不能小于 1"
    assert "per_page 不能小于 1" in err["message_zh"]

    r = client.get("/api/v1/subjects")
    assert r.json()["error"]["details"]["errors"][0]["message_zh"] == "缺少必填字段 q"


def test_malformed_json_body_is_named_with_its_position(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    r = client.post(
        "/api/v1/evaluation/runs",
        content=b'{"model": "enterprise",}',
        headers={"content-type": "application/json", **auth_headers("credit_office")},
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["message_zh"] == "请求数据校验未通过：请求体不是合法的 JSON（第 24 个字符）"
    assert err["details"]["errors"][0]["value"] is None  # the broken body is not echoed
