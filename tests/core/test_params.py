"""Issue 20 §2: every integer a request carries is bounded in the schema (an id above 2^63−1 used
to reach the driver and answer 500, often without login), and every date-time a response holds
says its offset. Both tests read the application itself, so a router added later is covered."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from xinyong.core.db import Database
from xinyong.core.params import DB_ID_MAX, UtcDateTime, _aware, db_id
from xinyong.core.settings import reset_settings

TOO_BIG = 2**64


@pytest.fixture
def app_client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from xinyong.app import create_app

    monkeypatch.setenv("XINYONG_RATE_LIMIT_PER_MINUTE", "0")
    reset_settings()
    with TestClient(create_app(db), raise_server_exceptions=False) as c:
        yield c


def _integer_schemas(
    schema: dict[str, Any], components: dict[str, Any], seen: set[str]
) -> Iterator[dict[str, Any]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _integer_schemas(components[name], components, seen)
        return
    if schema.get("type") == "integer":
        yield schema
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _integer_schemas(sub, components, seen)
    for sub in schema.get("properties", {}).values():
        yield from _integer_schemas(sub, components, seen)
    if isinstance(schema.get("items"), dict):
        yield from _integer_schemas(schema["items"], components, seen)


def test_every_integer_a_request_carries_is_bounded(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    unbounded = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            inputs = [(p["name"], p["schema"]) for p in op.get("parameters", [])]
            for media in op.get("requestBody", {}).get("content", {}).values():
                inputs.append(("body", media.get("schema", {})))
            for name, schema in inputs:
                for integer in _integer_schemas(schema, components, set()):
                    if "maximum" not in integer or (
                        "minimum" not in integer and "exclusiveMinimum" not in integer
                    ):
                        unbounded.append(f"{method.upper()} {path} {name}")
    assert not unbounded, (
        "integer inputs without both bounds (use xinyong.core.params.DbId / PageNo / Offset or "
        f"Query(ge=…, le=…)): {sorted(set(unbounded))}"
    )


def _operations(app_client: TestClient) -> Iterator[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, path template, parameter, where, the other required query values) per integer
    parameter of the schema."""
    spec = app_client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            for p in params:
                types_ = {p["schema"].get("type")} | {s.get("type") for s in p["schema"].get("anyOf", [])}
                if "integer" not in types_:
                    continue
                others = {
                    q["name"]: "鑫达机械"
                    for q in params
                    if q["in"] == "query" and q.get("required") and q["name"] != p["name"]
                }
                yield method.upper(), path, p["name"], p["in"], others


def test_an_integer_above_64_bits_is_422_never_500(
    app_client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    callers = {"public": {}, **{r: auth_headers(r) for r in ("credit_office", "admin", "regulator", "bank")}}
    checked, failures = 0, []
    for method, template, name, where, others in _operations(app_client):
        path = re.sub(r"\{[^}]+\}", "1", template)
        query = dict(others)
        if where == "path":
            path = template.replace("{" + name + "}", str(TOO_BIG))
            path = re.sub(r"\{[^}]+\}", "1", path)
        else:
            query[name] = str(TOO_BIG)
        for role, headers in callers.items():
            r = app_client.request(
                method, path, params=query, headers=headers, json={} if method == "POST" else None
            )
            checked += 1
            if r.status_code >= 500 or (r.status_code not in (401, 403) and r.status_code != 422):
                failures.append(
                    f"{role} {method} {template} {name}={TOO_BIG}: {r.status_code} {r.text[:120]}"
                )
    assert checked > 50
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/ledger/proof/{TOO_BIG}",
        f"/api/v1/records/{TOO_BIG}",
        f"/api/v1/evaluation/models/{TOO_BIG}",
        f"/api/v1/lists/announcements/{TOO_BIG}",
        f"/api/v1/subjects?q=鑫达机械&page={TOO_BIG}",
        f"/api/v1/lists/members?page={TOO_BIG}",
    ],
)
def test_the_reported_anonymous_overflows(app_client: TestClient, url: str) -> None:
    r = app_client.get(url)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message_zh"]


@pytest.mark.parametrize("raw", [str(TOO_BIG), str(DB_ID_MAX + 1), "²", "١٢", "0", "-1", "1e3", ""])
def test_pages_answer_404_to_ids_no_store_can_hold(app_client: TestClient, raw: str) -> None:
    assert db_id(raw) is None
    for template in ("/subjects/id/{}", "/lists/announcements/{}"):
        if raw:
            assert app_client.get(template.format(raw)).status_code == 404


def test_db_id_accepts_the_whole_signed_64_bit_range() -> None:
    assert db_id("1") == 1 and db_id(str(DB_ID_MAX)) == DB_ID_MAX


def _datetime_fields(model: type[BaseModel], seen: set[type]) -> Iterator[tuple[str, Any, list[Any]]]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield from _inspect(f"{model.__name__}.{name}", info.annotation, list(info.metadata), seen)


def _inspect(
    where: str, annotation: Any, metadata: list[Any], seen: set[type]
) -> Iterator[tuple[str, Any, list[Any]]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        yield from _inspect(where, base, metadata + meta, seen)
    elif origin in (typing.Union, types.UnionType, list, dict, tuple, set, frozenset):
        for arg in typing.get_args(annotation):
            yield from _inspect(
                where, arg, metadata if origin in (typing.Union, types.UnionType) else [], seen
            )
    elif annotation is datetime:
        yield where, annotation, metadata
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _datetime_fields(annotation, seen)


def test_every_response_datetime_carries_an_offset(app_client: TestClient) -> None:
    naive = []
    seen: set[type] = set()
    models = 0
    # Included routers are nested: iter_route_contexts flattens them (as the access policy does).
    for rc in iter_route_contexts(app_client.app.routes):  # type: ignore[attr-defined]
        route = rc.original_route
        if not isinstance(route, APIRoute) or route.response_model is None:
            continue
        models += 1
        for where, _, metadata in _inspect(route.path, route.response_model, [], seen):
            if not any(getattr(m, "func", None) is _aware for m in metadata):
                naive.append(where)
    assert models > 50
    assert not naive, f"response date-times without an offset (use xinyong.core.params.UtcDateTime): {naive}"


def test_utc_datetime_serialises_with_an_offset() -> None:
    class Out(BaseModel):
        at: UtcDateTime

    assert Out(at=datetime(2026, 1, 2, 3, 4, 5)).model_dump_json() == '{"at":"2026-01-02T03:04:05Z"}'
    aware = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert Out(at=aware).at == aware
