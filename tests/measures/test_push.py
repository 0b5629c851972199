"""Push (触发式) to a receiving server on 127.0.0.1: subscriptions with filters, deliveries from
the outbox signed per Standard Webhooks, retries with exponential backoff, the dead-letter queue
and replay by staff, at-least-once with a stable idempotency key (webhook-id)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.measures.helpers import receiver
from tests.records import helpers as rh
from xinyong.core.db import Database
from xinyong.core.events import emit
from xinyong.core.settings import reset_settings
from xinyong.ledger.models import LedgerEntry
from xinyong.measures import push


def _spec_signature(secret: str, msg_id: str, timestamp: str, body: str) -> str:
    """Standard Webhooks, written out independently of the code under test."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _subscribe(client: TestClient, headers: dict[str, str], url: str, **filters: object) -> dict:
    body = {"name": "市财政局政府采购系统", "url": url, **filters}
    r = client.post("/api/v1/subscriptions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _store_penalty(session: Session, company: int, provider: int, n: int, doc: str) -> None:
    """A penalty of ``台州市测试{n}号有限公司`` (``rh.enterprise(session, n)``)."""
    rh.store(
        session, company, provider, rh.penalty_row(doc, code=rh.uscc(n), name=f"台州市测试{n}号有限公司")
    )


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_PUSH_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("XINYONG_PUSH_RETRY_BASE_SECONDS", "60")
    monkeypatch.setenv("XINYONG_PUSH_TIMEOUT_SECONDS", "5")
    reset_settings()


def test_signed_delivery_with_filters(
    client: TestClient, session: Session, db: Database, auth_headers: Callable[..., dict[str, str]]
) -> None:
    headers = auth_headers("regulator")
    with receiver() as rx:
        sub = _subscribe(
            client,
            headers,
            rx.url,
            events=["record.created", "list.entered", "grade.changed"],
            items=["administrative_penalty"],
            lists=["blacklist"],
        )
        assert sub["secret"].startswith("whsec_") and sub["department_code"] == "test_regulator"
        assert "secret" not in client.get(f"/api/v1/subscriptions/{sub['id']}", headers=headers).json() or (
            client.get(f"/api/v1/subscriptions/{sub['id']}", headers=headers).json()["secret"] is None
        )
        provider = rh.provider(session)
        company = rh.enterprise(session, 11)
        _store_penalty(session, company, provider, 11, "罚〔2026〕11号")
        rh.store(
            session,
            company,
            provider,
            rh.licence_row("许〔2026〕11号", name="台州市测试11号有限公司"),
            item_code=rh.LICENCE,
        )
        emit(
            session,
            "list.entered",
            subject_id=company,
            payload={"subject_id": company, "list_type": "blacklist", "procedure_id": 3},
        )
        emit(
            session,
            "list.entered",
            subject_id=company,
            payload={"subject_id": company, "list_type": "red_list"},
        )
        emit(
            session,
            "evaluation.grade_changed",
            subject_id=company,
            payload={"subject_id": company, "from_grade": "B", "to_grade": "D"},
        )
        session.commit()

        result = push.run_once(db)
        assert (result.deliveries_created, result.delivered, result.dead) == (3, 3, 0)
        types = [m.json["type"] for m in rx.received]
        assert types == ["record.created", "list.entered", "grade.changed"]  # no licence, no red list
        first = rx.received[0]
        assert first.headers["webhook-id"] == first.headers["webhook-id"].strip() and first.headers[
            "webhook-id"
        ].startswith("msg_")
        assert first.headers["webhook-signature"] == _spec_signature(
            sub["secret"], first.headers["webhook-id"], first.headers["webhook-timestamp"], first.body
        )
        assert push.verify_signature(sub["secret"], first.headers, first.body)
        assert not push.verify_signature(sub["secret"], first.headers, first.body.replace("11", "12"))
        data = first.json["data"]
        assert data["item_code"] == "administrative_penalty" and data["subject"]["code"] == rh.uscc(11)
        assert "submission_id" not in data and "provider_id" not in data
        assert rx.received[1].json["data"]["list_type"] == "blacklist"
        # Nothing new: nothing sent again.
        assert push.run_once(db).delivered == 0 and len(rx.received) == 3
        page = client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=headers).json()
        assert page["total"] == 3 and {d["status"] for d in page["items"]} == {"delivered"}
        # Another department does not see this subscription.
        assert (
            client.get(f"/api/v1/subscriptions/{sub['id']}", headers=auth_headers("provider")).status_code
            == 404
        )
        # A deactivated subscription gets nothing more.
        assert (
            client.post(f"/api/v1/subscriptions/{sub['id']}/deactivate", headers=headers).json()["active"]
            is False
        )
        _store_penalty(session, company, provider, 11, "罚〔2026〕12号")
        session.commit()
        assert push.run_once(db).deliveries_created == 0
    kinds = set(session.scalars(select(LedgerEntry.kind).where(LedgerEntry.kind.like("push.%"))))
    assert kinds == {"push.subscription"}


def test_retry_backoff_dead_letter_and_replay(
    client: TestClient,
    session: Session,
    db: Database,
    auth_headers: Callable[..., dict[str, str]],
    fast_retries: None,
) -> None:
    with receiver() as rx:
        sub = _subscribe(client, auth_headers("provider"), rx.url, events=["record.created"])
        provider = rh.provider(session, "TZSCJ2")
        company = rh.enterprise(session, 21)
        _store_penalty(session, company, provider, 21, "罚〔2026〕21号")
        session.commit()
        rx.script = [500, 503, 502]
        t0 = datetime.now(UTC) + timedelta(seconds=1)  # just after the deliveries were made
        r1 = push.run_once(db, now=t0)
        assert (r1.delivered, r1.retried) == (0, 1)
        (d,) = push.list_deliveries(session, subscription_id=sub["id"]).items
        assert d.attempts == 1 and d.last_status == 500 and d.status == "pending"
        assert d.next_attempt_at is not None and abs((d.next_attempt_at - t0).total_seconds() - 60) < 1
        # Not due yet: nothing is sent.
        assert push.deliver_due(db, now=t0 + timedelta(seconds=30)) == (0, 0, 0)
        t1 = t0 + timedelta(seconds=61)
        assert push.deliver_due(db, now=t1) == (0, 1, 0)
        session.expire_all()
        (d,) = push.list_deliveries(session, subscription_id=sub["id"]).items
        assert d.attempts == 2 and abs((d.next_attempt_at - t1).total_seconds() - 120) < 1  # doubled
        assert push.deliver_due(db, now=t1 + timedelta(seconds=121)) == (0, 0, 1)  # third failure: dead
        ids = {m.headers["webhook-id"] for m in rx.received}
        assert len(rx.received) == 3 and len(ids) == 1  # one idempotency key across retries

        staff = auth_headers("credit_office")
        dead = client.get("/api/v1/push/dead-letters", headers=staff).json()
        assert dead["total"] == 1 and dead["items"][0]["last_status"] == 502
        delivery_id = dead["items"][0]["id"]
        assert (
            client.post(
                f"/api/v1/push/dead-letters/{delivery_id}/replay", headers=auth_headers("regulator")
            ).status_code
            == 403
        )
        r = client.post(f"/api/v1/push/dead-letters/{delivery_id}/replay", headers=staff)
        assert r.status_code == 200 and r.json()[0]["status"] == "pending" and r.json()[0]["replays"] == 1
        assert (
            client.post(f"/api/v1/push/dead-letters/{delivery_id}/replay", headers=staff).status_code == 409
        )
        assert push.deliver_due(db) == (1, 0, 0)
        assert rx.received[-1].headers["webhook-id"] in ids  # the receiver can drop it if it had it
        assert rx.received[-1].body == rx.received[0].body
        assert client.get("/api/v1/push/dead-letters", headers=staff).json()["total"] == 0
    assert (
        session.scalar(select(LedgerEntry.ref).where(LedgerEntry.kind == "push.replay"))
        == f"push_delivery:{delivery_id}"
    )


def test_unreachable_receiver_and_410_go_to_the_dead_letter_queue(
    client: TestClient,
    session: Session,
    db: Database,
    auth_headers: Callable[..., dict[str, str]],
    fast_retries: None,
) -> None:
    headers = auth_headers("regulator")
    with receiver() as rx:
        gone = _subscribe(client, headers, rx.url, events=["grade.changed"])
        rx.script = [410]
        emit(
            session, "evaluation.grade_changed", subject_id=None, payload={"from_grade": "A", "to_grade": "B"}
        )
        session.commit()
        assert push.run_once(db).dead == 1  # 410 Gone: no retries
    # The server is down now: connection errors are retried, then dead.
    closed = _subscribe(client, headers, rx.url.replace("/hooks", "/down"), events=["grade.changed"])
    emit(session, "evaluation.grade_changed", subject_id=None, payload={"from_grade": "B", "to_grade": "C"})
    session.commit()
    r = push.run_once(db, now=datetime.now(UTC) + timedelta(seconds=1))
    assert r.retried == 2  # both subscriptions are down now
    (d,) = [x for x in push.list_deliveries(session, subscription_id=closed["id"]).items]
    assert d.last_status is None and "Connect" in (d.last_error or "")
    assert gone["id"] != closed["id"]


def test_subscription_validation(client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
    headers = auth_headers("regulator")
    r = client.post(
        "/api/v1/subscriptions",
        json={"name": "x", "url": "ftp://127.0.0.1/x", "events": ["record.created"]},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "push.bad_url"
    r = client.post(
        "/api/v1/subscriptions",
        json={"name": "x", "url": "http://127.0.0.1/x", "events": ["record.eaten"]},
        headers=headers,
    )
    assert r.json()["error"]["code"] == "push.unknown_event"
    r = client.post(
        "/api/v1/subscriptions",
        json={"name": "x", "url": "http://127.0.0.1/x", "events": ["list.entered"], "lists": ["pink"]},
        headers=headers,
    )
    assert r.json()["error"]["code"] == "push.unknown_list"
    assert (
        client.post(
            "/api/v1/subscriptions",
            json={"name": "x", "url": "http://127.0.0.1/x", "events": ["list.entered"]},
            headers=auth_headers("credit_office"),
        ).status_code
        == 403
    )
    assert date.today()  # keep the import used


def test_serve_runs_the_push_worker(db: Database, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside ``serve`` (the app's lifespan) the worker delivers without anyone running the CLI."""
    import time

    from xinyong.app import create_app

    monkeypatch.setenv("XINYONG_PUSH_POLL_SECONDS", "0.1")
    reset_settings()
    with receiver() as rx:
        push.create_subscription(
            session, department_code="TZ-CZJ", name="x", url=rx.url, events=["grade.changed"]
        )
        emit(
            session, "evaluation.grade_changed", subject_id=None, payload={"from_grade": "B", "to_grade": "A"}
        )
        session.commit()
        with TestClient(create_app(db)):
            deadline = time.monotonic() + 10
            while not rx.received and time.monotonic() < deadline:
                time.sleep(0.05)
        assert [m.json["type"] for m in rx.received] == ["grade.changed"]
