"""Issue 20 §3: a control character in a path or query string is answered 422, never a 500 (a
search with NUL failed in the driver on both stores)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from xinyong.core.db import Database


def test_no_control_character_reaches_a_500(
    db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    from xinyong.app import create_app

    c = TestClient(create_app(db), raise_server_exceptions=False)
    office = auth_headers("credit_office")
    urls = [
        "/api/v1/subjects?q=%E9%91%AB%00x",
        "/api/v1/subjects/9133%00",
        "/api/v1/subjects/9133%00/records",
        "/api/v1/catalog/items/a%00",
        "/api/v1/ledger/proof?ref=a%00",
        "/api/v1/lists/types/a%00",
        "/api/v1/measures/a%00",
        "/search?q=%E9%91%AB%00x",
        "/search/suggest?q=%E9%91%AB%00x",
        "/subjects/9133%00",
        "/api/v1/query-log?subject=a%00",
        "/api/v1/submissions?item=a%00",
        "/api/v1/quarantine?item=a%00",
        "/api/v1/submissions/a%00",
        "/api/v1/governance/cases?status=a%00",
        "/api/v1/lists/procedures?status=a%00",
        "/api/v1/checks?subject=a%00",
        "/api/v1/evaluation/runs?kind=a%00",
    ]
    bad = []
    for u in urls:
        r = c.get(u, headers=office)
        if r.status_code >= 500:
            bad.append((u, r.status_code))
    assert not bad, bad


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/subjects?q=%E9%91%AB%00x",
        "/search?q=a%07b",
        "/subjects/91%1b33",
        "/api/v1/catalog/items/a%7f",
    ],
)
def test_a_control_character_in_a_path_or_query_is_422(db: Database, url: str) -> None:
    from xinyong.app import create_app

    r = TestClient(create_app(db)).get(url)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "request.control_character" and r.json()["error"]["message_zh"]


def test_a_control_character_in_a_json_body_is_422_naming_the_field(
    db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    """PostgreSQL cannot hold NUL in text: a NUL in a JSON field used to fail in the driver."""
    from xinyong.app import create_app

    c = TestClient(create_app(db), raise_server_exceptions=False)
    office = auth_headers("credit_office")
    for body, field in [
        ({"record_id": 1, "ground": "wrong_content", "statement": "记载有误\u0000"}, "statement"),
        ({"record_id": 1, "ground": "wrong\u0007", "statement": "x"}, "ground"),
        ({"record_id": 1, "ground": "x", "statement": "x", "extra": [{"a\u001b": 1}]}, "extra[0].a\u001b"),
    ]:
        r = c.post("/api/v1/objections", json=body, headers=office)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "request.control_character"
        assert error["details"]["field"] == field and field in error["message_zh"]
    # Tab and line feed are text; the body reaches the route unchanged (its own 404 here).
    r = c.post(
        "/api/v1/objections",
        json={"record_id": 999_999, "ground": "wrong_content", "statement": "第一行\n\t第二行"},
        headers=office,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] != "request.control_character"
    # A batch submission's rows are judged per field by ingest (quarantined, not refused whole).
    r = c.post("/api/v1/submissions", json={"item": "x\u0000", "rows": []}, headers=office)
    assert r.json().get("error", {}).get("code") != "request.control_character"


def test_a_large_body_is_judged_no_further_than_the_limit_and_reaches_the_route_whole() -> None:
    """The guard stops reading past its limit (the access middleware's size limit and the route
    decide the rest); the route still gets every byte, in order."""
    import asyncio

    from xinyong.core.hardening import read_body, replay_body

    chunks = [b"a" * 10, b"b" * 10, b"c" * 10]

    async def run() -> tuple[bytes, bool, bytes, int]:
        pending = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        asked = 0

        async def receive() -> dict[str, object]:
            nonlocal asked
            asked += 1
            return pending.pop(0)

        head, complete = await read_body(receive, limit=15)
        taken = asked
        whole, _ = await read_body(replay_body(head, receive, more=not complete))
        return head, complete, whole, taken

    head, complete, whole, taken = asyncio.run(run())
    assert (head, complete, taken) == (b"a" * 10 + b"b" * 10, False, 2)
    assert whole == b"".join(chunks)
