"""Push (触发式): departments subscribe a webhook to changes of subjects' credit status; the
outbox consumer ``push`` turns matching events into deliveries; a worker POSTs them, signed per
Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64
HMAC-SHA256 of "id.timestamp.body">``), retries with exponential backoff and moves a delivery
that keeps failing to the dead-letter queue, from which staff replay it.

At-least-once: a delivery's ``webhook-id`` (``msg_<event>_<subscription>``) and its body never
change across retries and replays, so a receiver drops duplicates by that id (the idempotency
key). Deliveries are sent outside any database transaction; a claim with a lease keeps two
workers (``serve`` and ``xinyong push run``) from sending the same delivery at once, and a
crashed worker's claims expire and are retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core import crypto
from xinyong.core.db import Database
from xinyong.core.errors import Conflict, InvalidInput, NotFound
from xinyong.core.events import BATCH, Event, pending, wait_for_writers
from xinyong.core.settings import get_settings
from xinyong.ledger import service as ledger
from xinyong.measures.caller import Caller
from xinyong.measures.catalog import get_measures
from xinyong.measures.models import PushDelivery, PushSubscription
from xinyong.measures.schemas import DeliveryOut, DeliveryPage, PushRunResult, SubscriptionOut
from xinyong.subjects import service as subjects_service

log = logging.getLogger("xinyong.measures.push")

CONSUMER = "push"
# Push event types → the outbox event types they come from.
PUSH_EVENTS: dict[str, tuple[str, ...]] = {
    "list.entered": ("list.entered",),
    "list.exited": ("list.exited",),
    "grade.changed": ("evaluation.grade_changed",),
    "record.created": ("record.created",),
    "record.corrected": ("record.corrected",),
    "record.withdrawn": ("record.withdrawn",),
    "record.publicity_ended": ("record.publicity_ended",),
    # Addressed messages (payload "to_departments"): a department's monthly data-quality
    # scorecard (xinyong.quality) and the notices of a public body's or official's default
    # (xinyong.government). Only the departments named get them.
    "quality.scorecard": ("quality.scorecard",),
    "government.notice": ("government.notice",),
}
_ADDRESSED = ("quality.scorecard", "government.notice")
_FROM_OUTBOX = {src: push for push, srcs in PUSH_EVENTS.items() for src in srcs}
_LIST_KEYS = ("list_type", "list", "list_code", "code")
# Payload fields never pushed (internal bookkeeping).
_PRIVATE_KEYS = frozenset({"submission_id", "provider_id"})


# ============================================================================================
# Standard Webhooks signing


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body``."""
    mac = hmac.new(_secret_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify_signature(
    secret: str, headers: dict[str, str], body: str, *, tolerance: int = 300, now: int | None = None
) -> bool:
    """What a receiver does (documented in docs/joint-measures.md; used by the tests)."""
    return signature_problem(secret, headers, body, tolerance=tolerance, now=now) is None


SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def signature_problem(
    secret: str, headers: dict[str, str], body: str, *, tolerance: int = 300, now: int | None = None
) -> str | None:
    """Why a delivery's signature fails, in Chinese for the person running the receiver (None
    when it is valid): missing headers, a timestamp outside the tolerance, a malformed signature
    or secret, or a signature made with another secret or over another body."""
    lower = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in SIGNATURE_HEADERS if h not in lower]
    if missing:
        return f"缺少请求头 {'、'.join(missing)}"
    try:
        timestamp = int(lower["webhook-timestamp"])
    except ValueError:
        return f"请求头 webhook-timestamp 不是整数秒时间戳：{lower['webhook-timestamp']!r}"
    try:
        expected = sign(secret, lower["webhook-id"], timestamp, body).split(",", 1)[1]
    except ValueError:
        return "签名密钥格式不正确：应为 whsec_ 开头、base64 编码的密钥"
    now = int(datetime.now(UTC).timestamp()) if now is None else now
    if abs(now - timestamp) > tolerance:
        return f"时间戳超出允许范围：与本机时间相差 {abs(now - timestamp)} 秒（允许 ±{tolerance} 秒），可能是重放或时钟不准"
    given = [part.split(",", 1)[1] for part in lower["webhook-signature"].split() if part.startswith("v1,")]
    if not given:
        return "签名格式不正确：webhook-signature 应为以空格分隔的 v1,<base64> 值"
    if not any(hmac.compare_digest(g, expected) for g in given):
        return "签名与密钥不符：请确认使用的是该订阅的 whsec_ 签名密钥，且请求体未被改动"
    return None


# ============================================================================================
# Subscriptions


def _sub_out(s: PushSubscription, secret: str | None = None) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id,
        department_code=s.department_code,
        name=s.name,
        url=s.url,
        events=list(s.events or []),
        lists=s.lists,
        items=s.items,
        grades=s.grades,
        active=s.active,
        created_by=s.created_by,
        created_at=s.created_at,
        secret=secret,
    )


def _check_filters(
    events: Sequence[str],
    lists: Sequence[str] | None,
    items: Sequence[str] | None,
    grades: Sequence[str] | None,
) -> None:
    bad = sorted(set(events) - set(PUSH_EVENTS))
    if bad or not events:
        raise InvalidInput(
            f"Unknown push events: {', '.join(bad) or '(none given)'}",
            f"推送事件类型不正确：{'、'.join(bad) or '未提供'}",
            code="push.unknown_event",
            field="events",
            allowed=sorted(PUSH_EVENTS),
        )
    cat = get_measures()
    if lists:
        unknown = sorted(set(lists) - set(cat.list_classes))
        if unknown:
            raise InvalidInput(
                f"Unknown lists: {', '.join(unknown)}",
                f"名单代码不存在：{'、'.join(unknown)}",
                code="push.unknown_list",
                field="lists",
                allowed=sorted(cat.list_classes),
            )
    if items:
        known = {i.code for i in catalog_service.get_catalog().items()}
        unknown = sorted(set(items) - known)
        if unknown:
            raise InvalidInput(
                f"Unknown catalog items: {', '.join(unknown)}",
                f"目录项不存在：{'、'.join(unknown)}",
                code="push.unknown_item",
                field="items",
                allowed=sorted(known),
            )


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "The webhook URL must be an http(s) URL",
            "推送地址须为 http 或 https 地址",
            code="push.bad_url",
            field="url",
            value=url,
        )
    return url


def create_subscription(
    session: Session,
    *,
    department_code: str,
    name: str,
    url: str,
    events: Sequence[str],
    lists: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    grades: Sequence[str] | None = None,
    by: str = "",
) -> SubscriptionOut:
    """Register a webhook for ``department_code``; the signing secret is returned ONCE."""
    if not department_code:
        raise InvalidInput(
            "A subscription belongs to a department", "推送订阅须属于某一部门", code="push.no_department"
        )
    _check_filters(events, lists, items, grades)
    secret = new_secret()
    sub = PushSubscription(
        department_code=department_code,
        name=name.strip(),
        url=_check_url(url),
        secret_encrypted=crypto.encrypt(secret),
        events=sorted(set(events)),
        lists=sorted(set(lists)) if lists else None,
        items=sorted(set(items)) if items else None,
        grades=sorted(set(grades)) if grades else None,
        active=True,
        created_by=by[:120],
        created_at=datetime.now(UTC),
    )
    session.add(sub)
    session.flush()
    ledger.append(
        session,
        "push.subscription",
        f"push_subscription:{sub.id}",
        {
            "action": "created",
            "department": department_code,
            "url": sub.url,
            "events": sub.events,
            "lists": sub.lists,
            "items": sub.items,
            "grades": sub.grades,
            "by": by,
        },
    )
    return _sub_out(sub, secret)


def _subscription(session: Session, subscription_id: int, caller: Caller | None) -> PushSubscription:
    sub = session.get(PushSubscription, subscription_id)
    if sub is None or (
        caller is not None and not caller.is_staff and sub.department_code != caller.department_code
    ):
        raise NotFound(
            "No such subscription",
            "未找到该推送订阅",
            code="push.subscription_not_found",
            subscription_id=subscription_id,
        )
    return sub


def has_subscription(session: Session, department_code: str) -> bool:
    """Whether the department has any subscription (active or not)."""
    stmt = select(PushSubscription.id).where(PushSubscription.department_code == department_code)
    return session.scalar(stmt.limit(1)) is not None


def list_subscriptions(session: Session, caller: Caller) -> list[SubscriptionOut]:
    stmt = select(PushSubscription).order_by(PushSubscription.id)
    if not caller.is_staff:
        stmt = stmt.where(PushSubscription.department_code == caller.department_code)
    return [_sub_out(s) for s in session.scalars(stmt)]


def get_subscription(session: Session, subscription_id: int, caller: Caller) -> SubscriptionOut:
    return _sub_out(_subscription(session, subscription_id, caller))


def deactivate_subscription(session: Session, subscription_id: int, caller: Caller) -> SubscriptionOut:
    """Stop a subscription (kept, with its deliveries, for the record)."""
    sub = _subscription(session, subscription_id, caller)
    if sub.active:
        sub.active = False
        sub.deactivated_at = datetime.now(UTC)
        session.flush()
        ledger.append(
            session,
            "push.subscription",
            f"push_subscription:{sub.id}",
            {"action": "deactivated", "department": sub.department_code, "by": caller.label},
        )
    return _sub_out(sub)


# ============================================================================================
# Fan-out: the outbox consumer


def _list_code(payload: dict[str, Any]) -> str | None:
    return next((payload[k] for k in _LIST_KEYS if isinstance(payload.get(k), str)), None)


def matches(sub: PushSubscription, push_type: str, payload: dict[str, Any]) -> bool:
    if push_type not in (sub.events or []):
        return False
    if push_type in _ADDRESSED:
        return sub.department_code in (payload.get("to_departments") or [])
    if push_type.startswith("list.") and sub.lists:
        return _list_code(payload) in sub.lists
    if push_type == "grade.changed" and sub.grades:
        return payload.get("from_grade") in sub.grades or payload.get("to_grade") in sub.grades
    if push_type.startswith("record.") and sub.items:
        return payload.get("item_code") in sub.items
    return True


def _subject_ref(
    session: Session, subject_id: int | None, cache: dict[int, dict[str, Any] | None]
) -> dict[str, Any] | None:
    if subject_id is None:
        return None
    if subject_id not in cache:
        try:
            v = subjects_service.get_subject(session, subject_id)
            cache[subject_id] = {"id": v.id, "code": v.code, "name": v.name, "kind": v.kind}
        except NotFound:
            cache[subject_id] = None
    return cache[subject_id]


def message_body(push_type: str, ev: Event, subject: dict[str, Any] | None) -> str:
    """The JSON body of a delivery (``type``, ``timestamp``, ``data``), fixed once created."""
    data = {k: v for k, v in (ev.payload or {}).items() if k not in _PRIVATE_KEYS}
    data["event_id"] = ev.id
    data["subject"] = subject
    created = ev.created_at if ev.created_at.tzinfo else ev.created_at.replace(tzinfo=UTC)
    doc = {
        "type": push_type,
        "timestamp": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def fan_out(session: Session, limit: int = BATCH) -> tuple[int, int]:
    """Consume one batch of outbox events: one delivery per (event, matching active
    subscription). Returns (events consumed, deliveries created). The caller commits (cursor and
    rows together) and calls again until nothing is consumed: catch-up in short transactions."""
    if not wait_for_writers(session):
        return 0, 0
    subs = list(session.scalars(select(PushSubscription).where(PushSubscription.active.is_(True))))
    cache: dict[int, dict[str, Any] | None] = {}
    dialect = session.get_bind().dialect.name
    cursor, events = pending(session, CONSUMER, limit)
    if not events:
        return 0, 0
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for ev in events:
        push_type = _FROM_OUTBOX.get(ev.type)
        if push_type is None:
            continue
        payload = ev.payload or {}
        # A subscription gets the changes made after it was registered, not the history.
        created_at = _aware(ev.created_at) or now
        targets = [
            s for s in subs if created_at >= (_aware(s.created_at) or now) and matches(s, push_type, payload)
        ]
        if not targets:
            continue
        body = message_body(push_type, ev, _subject_ref(session, ev.subject_id, cache))
        for s in targets:
            rows.append(
                {
                    "subscription_id": s.id,
                    "event_id": ev.id,
                    "event_type": push_type,
                    "subject_id": ev.subject_id,
                    "message_id": f"msg_{ev.id}_{s.id}",
                    "body": body,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "replays": 0,
                    "created_at": now,
                }
            )
    for start in range(0, len(rows), 1000):
        part = rows[start : start + 1000]
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(PushDelivery).values(part)
        session.execute(stmt.on_conflict_do_nothing())
    cursor.last_event_id = events[-1].id
    session.flush()
    return len(events), len(rows)


# ============================================================================================
# Delivery


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: str
    body: str
    attempts: int
    url: str
    secret: str
    active: bool


def _aware(d: datetime | None) -> datetime | None:
    return None if d is None else (d if d.tzinfo else d.replace(tzinfo=UTC))


def _claim(db: Database, now: datetime, limit: int) -> list[_Claimed]:
    """Claim due deliveries (pending and due, or sending with an expired lease) one by one with
    a conditional UPDATE, so two workers never both get one."""
    lease = now + timedelta(seconds=get_settings().push_timeout_seconds * 3 + 30)
    due = or_(
        (PushDelivery.status == "pending") & (PushDelivery.next_attempt_at <= now),
        (PushDelivery.status == "sending") & (PushDelivery.lease_until < now),
    )
    out: list[_Claimed] = []
    with db.session() as session:
        ids = list(
            session.scalars(
                select(PushDelivery.id)
                .where(due)
                .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
                .limit(limit)
            )
        )
        for did in ids:
            result = cast(
                CursorResult[Any],
                session.execute(
                    update(PushDelivery)
                    .where(PushDelivery.id == did, due)
                    .values(status="sending", lease_until=lease)
                ),
            )
            if result.rowcount != 1:
                continue
            row = session.execute(
                select(
                    PushDelivery.id,
                    PushDelivery.message_id,
                    PushDelivery.body,
                    PushDelivery.attempts,
                    PushSubscription.url,
                    PushSubscription.secret_encrypted,
                    PushSubscription.active,
                )
                .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
                .where(PushDelivery.id == did)
            ).one()
            out.append(
                _Claimed(
                    row.id,
                    row.message_id,
                    row.body,
                    row.attempts,
                    row.url,
                    crypto.decrypt(row.secret_encrypted),
                    row.active,
                )
            )
    return out


def _send(client: httpx.Client, c: _Claimed) -> tuple[int | None, str | None]:
    """POST one delivery: (HTTP status, error text)."""
    timestamp = int(datetime.now(UTC).timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "Xinyong-Push/1",
        "webhook-id": c.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(c.secret, c.message_id, timestamp, c.body),
    }
    try:
        r = client.post(c.url, content=c.body.encode("utf-8"), headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= r.status_code < 300:
        return r.status_code, None
    return r.status_code, f"HTTP {r.status_code}: {r.text[:200]}"


def backoff_seconds(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failures: base × 2^(attempts−1), capped."""
    s = get_settings()
    return float(min(s.push_retry_base_seconds * (2 ** max(attempts - 1, 0)), s.push_retry_max_seconds))


def deliver_due(
    db: Database, *, now: datetime | None = None, limit: int = 200, client: httpx.Client | None = None
) -> tuple[int, int, int]:
    """Send the deliveries that are due; returns (delivered, to retry, dead)."""
    now = now or datetime.now(UTC)
    claimed = _claim(db, now, limit)
    if not claimed:
        return 0, 0, 0
    settings = get_settings()
    own = client is None
    http = client or httpx.Client(
        timeout=settings.push_timeout_seconds, follow_redirects=False, trust_env=False
    )
    results: list[tuple[_Claimed, int | None, str | None]] = []
    try:
        for c in claimed:
            if not c.active:
                results.append((c, None, "subscription deactivated"))
                continue
            status, error = _send(http, c)
            results.append((c, status, error))
    finally:
        if own:
            http.close()
    delivered = retried = dead = 0
    finished = datetime.now(UTC)
    with db.session() as session:
        for c, status, error in results:
            attempts = c.attempts + 1
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_status": status,
                "last_error": error,
                "lease_until": None,
            }
            if error is None:
                values |= {"status": "delivered", "delivered_at": finished}
                delivered += 1
            elif not c.active or status == 410 or attempts >= settings.push_max_attempts:
                # 410 Gone: the receiver asks to stop (Standard Webhooks); no point retrying.
                values |= {"status": "dead", "dead_at": finished}
                dead += 1
            else:
                values |= {
                    "status": "pending",
                    "next_attempt_at": now + timedelta(seconds=backoff_seconds(attempts)),
                }
                retried += 1
            session.execute(update(PushDelivery).where(PushDelivery.id == c.id).values(**values))
    if dead:
        log.warning("push: %d deliveries moved to the dead-letter queue", dead)
    return delivered, retried, dead


def run_once(
    db: Database, *, now: datetime | None = None, client: httpx.Client | None = None
) -> PushRunResult:
    """Fan out new events, then send what is due (one pass)."""
    consumed = created = 0
    while True:  # one short transaction per batch of events
        with db.session() as session:
            batch, made = fan_out(session)
        consumed, created = consumed + batch, created + made
        if batch == 0:
            break
    delivered, retried, dead = deliver_due(db, now=now, client=client)
    return PushRunResult(
        events_consumed=consumed, deliveries_created=created, delivered=delivered, retried=retried, dead=dead
    )


# ============================================================================================
# Deliveries, dead letters, replay


def _delivery_out(d: PushDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        subscription_id=d.subscription_id,
        event_id=d.event_id,
        event_type=d.event_type,
        message_id=d.message_id,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=_aware(d.next_attempt_at) if d.status == "pending" else None,
        last_status=d.last_status,
        last_error=d.last_error,
        replays=d.replays,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
        dead_at=d.dead_at,
    )


def list_deliveries(
    session: Session,
    *,
    caller: Caller | None = None,
    subscription_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> DeliveryPage:
    """Deliveries of a subscription (its department or staff), or every department's dead
    letters (``status="dead"``, staff)."""
    conditions: list[Any] = []
    if subscription_id is not None:
        _subscription(session, subscription_id, caller)
        conditions.append(PushDelivery.subscription_id == subscription_id)
    if status is not None:
        conditions.append(PushDelivery.status == status)
    total = session.scalar(select(func.count()).select_from(PushDelivery).where(*conditions)) or 0
    rows = session.scalars(
        select(PushDelivery).where(*conditions).order_by(PushDelivery.id.desc()).offset(offset).limit(limit)
    )
    return DeliveryPage(total=total, items=[_delivery_out(d) for d in rows])


def replay(session: Session, delivery_ids: Iterable[int], *, by: str) -> list[DeliveryOut]:
    """Put dead deliveries back in the queue (same webhook-id and body: receivers that already
    processed one drop it). Each replay is a ledger entry."""
    out: list[DeliveryOut] = []
    now = datetime.now(UTC)
    for did in delivery_ids:
        d = session.get(PushDelivery, did)
        if d is None:
            raise NotFound(
                "No such delivery", "未找到该推送记录", code="push.delivery_not_found", delivery_id=did
            )
        if d.status != "dead":
            raise Conflict(
                f"Only dead letters can be replayed (this one is {d.status})",
                "只有死信队列中的推送可以重新投递",
                code="push.not_dead",
                status=d.status,
            )
        d.status = "pending"
        d.attempts = 0
        d.next_attempt_at = now
        d.dead_at = None
        d.replays += 1
        session.flush()
        ledger.append(
            session,
            "push.replay",
            f"push_delivery:{d.id}",
            {
                "message_id": d.message_id,
                "subscription_id": d.subscription_id,
                "event_id": d.event_id,
                "by": by,
            },
        )
        out.append(_delivery_out(d))
    return out


def replay_all_dead(session: Session, *, by: str, subscription_id: int | None = None) -> int:
    stmt = select(PushDelivery.id).where(PushDelivery.status == "dead")
    if subscription_id is not None:
        stmt = stmt.where(PushDelivery.subscription_id == subscription_id)
    return len(replay(session, list(session.scalars(stmt)), by=by))
