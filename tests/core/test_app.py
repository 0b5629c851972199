from fastapi.testclient import TestClient


def test_health_names_the_store(client: TestClient, db) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["store"] == db.dialect


def test_docs_are_served_offline(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404
    err = r.json()["error"]
    assert set(err) == {"code", "message", "message_zh", "details"}
    assert err["message_zh"]
