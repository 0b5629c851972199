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
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.core.errors import InvalidInput

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


def _control_text(text: str) -> bool:
    return any(ord(c) in _CONTROL_BYTES for c in text)


# JSON bodies judged per field by ingest (its rows are quarantined with a row error, never refused
# whole): the batch submission and the resubmission of a quarantined row.
_SCREENED_BY_INGEST = re.compile(r"^/api/v1/(submissions|quarantine/[^/]+/resubmit)/?$")
# At most this much of a JSON body is read here to be judged; a larger one goes on unjudged and
# unbuffered (the access middleware's size limit and the route decide).
_MAX_CHECKED_BODY = 16 * 1024 * 1024


def _control_in(value: Any, path: str = "") -> str | None:
    """The path (``statement``, ``attachments[0].filename``) of the first string holding a control
    character, or None."""
    if isinstance(value, str):
        return (path or "body") if _control_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if _control_text(str(key)):
                return inner
            found = _control_in(item, inner)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _control_in(item, f"{path}[{i}]")
            if found:
                return found
    return None


async def _refuse(
    scope: Scope, receive: Receive, send: Send, message: str, message_zh: str, field: str
) -> None:
    """422 in the one error shape (``request.control_character``, naming the field)."""
    error = InvalidInput(message, message_zh, code="request.control_character", field=field)
    await JSONResponse(error.to_dict(), status_code=error.status_code)(scope, receive, send)


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
        path_bad = _control_text(scope.get("path", ""))
        if path_bad or _has_control(raw_path) or _has_control(query):
            field = "query" if not path_bad and _has_control(query) else "path"
            await _refuse(
                scope,
                receive,
                send,
                "The path or query string contains a control character",
                "请求地址或查询参数含有不可见的控制字符",
                field,
            )
            return
        headers = dict(scope.get("headers") or [])
        is_json = headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json"
        if not is_json or scope.get("method") in ("GET", "HEAD") or _SCREENED_BY_INGEST.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        # Read the body once (up to the limit), judge it, then hand the same bytes to the route.
        body, complete = await read_body(receive, limit=_MAX_CHECKED_BODY)
        where = None
        if complete:
            try:
                where = _control_in(json.loads(body))
            except (ValueError, RecursionError):
                where = None  # not JSON: the route's own validation answers
        if where:
            await _refuse(
                scope,
                receive,
                send,
                f"The field {where} contains a control character",
                f"字段 {where} 含有不可见的控制字符",
                where,
            )
            return
        await self.app(scope, replay_body(body, receive, more=not complete), send)


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, bool]:
    """The request body as it arrives, and whether that is all of it: reading stops once more than
    ``limit`` bytes are in (the rest stays with ``receive``) or the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
        if limit is not None and size > limit:
            return b"".join(chunks), False
    return b"".join(chunks), True


def replay_body(body: bytes, receive: Receive, *, more: bool = False) -> Receive:
    """The body already read (``more``: the rest of it still to come), then the client's own
    messages (the rest of the body, a disconnect while streaming)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
