"""HTTP hardening primitives: security headers and an in-process token-bucket rate limiter.

The access middleware (``xinyong.accounts.middleware``) decides which requests are limited;
these pieces know nothing about routes or roles.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# 'self' only and no inline script: the platform works on a closed network and never needs
# another origin. The portal sends the same policy with each page.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response that does not set them itself, and
    HSTS when the request came over https."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if https and "Strict-Transport-Security" not in headers:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TokenBucket:
    """Per-key token buckets: ``rate`` tokens a minute, at most ``burst`` saved up.

    In process: each worker process keeps its own buckets (docs/security.md). The least recently
    used keys are forgotten beyond ``max_keys``."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else the seconds until one is due."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait: float) -> int:
        return max(1, math.ceil(wait))


# C0 control characters (tab, line feed and carriage return excepted) and DEL: no path or query
# value means them, PostgreSQL cannot even hold NUL in text, and a search with one failed deep in
# the driver (issue 20). Rows of a submission are judged per field by ingest instead.
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0D} | {0x7F}


def _has_control(raw: bytes) -> bool:
    return any(b in _CONTROL_BYTES for b in unquote_to_bytes(raw))


# JSON bodies judged per field by ingest (its rows are quarantined with a row error, never refused
# whole): the batch submission and the resubmission of a quarantined row.
_SCREENED_BY_INGEST = re.compile(r"^/api/v1/(submissions|quarantine/[^/]+/resubmit)/?$")
_MAX_CHECKED_BODY = 16 * 1024 * 1024  # larger JSON bodies go on unread (the route decides)


def _control_in(value: Any, path: str = "") -> str | None:
    """The path (``statement``, ``attachments[0].filename``) of the first string holding a control
    character, or None."""
    if isinstance(value, str):
        return path or "body" if any(ord(c) in _CONTROL_BYTES for c in value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and any(ord(c) in _CONTROL_BYTES for c in key):
                return f"{path}.{key}" if path else key
            found = _control_in(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _control_in(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _refusal(message: str, message_zh: str, details: dict[str, str]) -> bytes:
    return json.dumps(
        {
            "error": {
                "code": "request.control_character",
                "message": message,
                "message_zh": message_zh,
                "details": details,
            }
        },
        ensure_ascii=False,
    ).encode()


async def _send_422(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ControlCharacterGuard:
    """Answers 422 (the one error shape) to a request whose path, query string or JSON body holds
    a control character, before any route or store sees it (PostgreSQL cannot hold NUL in text:
    a NUL in an objection's statement failed in the driver as a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        query = scope.get("query_string", b"")
        path_bad = any(ord(c) in _CONTROL_BYTES for c in scope.get("path", ""))
        if path_bad or _has_control(raw_path) or _has_control(query):
            field = "query" if not path_bad and _has_control(query) else "path"
            await _send_422(
                send,
                _refusal(
                    "The path or query string contains a control character",
                    "请求地址或查询参数含有不可见的控制字符",
                    {"field": field},
                ),
            )
            return
        headers = dict(scope.get("headers") or [])
        is_json = headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json"
        if not is_json or scope.get("method") in ("GET", "HEAD") or _SCREENED_BY_INGEST.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        # Read the body once, judge it, then hand the same bytes to the route.
        body = await read_body(receive)
        where = None
        if len(body) <= _MAX_CHECKED_BODY:
            try:
                where = _control_in(json.loads(body))
            except (ValueError, RecursionError):
                where = None  # not JSON: the route's own validation answers
        if where:
            await _send_422(
                send,
                _refusal(
                    f"The field {where} contains a control character",
                    f"字段 {where} 含有不可见的控制字符",
                    {"field": where},
                ),
            )
            return
        await self.app(scope, replay_body(body, receive), send)


async def read_body(receive: Receive) -> bytes:
    """The whole request body (what arrived before the client went away)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (a disconnect, while streaming)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
