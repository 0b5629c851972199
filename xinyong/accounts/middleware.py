"""The access middleware: every HTTP request passes here before any route runs.

For each request it (1) finds the route the app will run (the same templates, in the same order,
as the router), (2) enforces the request size limit, (3) resolves the caller into a
:class:`Principal` (API key, else session cookie, else anonymous), (4) applies the declared
policy (``policy.POLICY``; a route without a rule is denied), (5) rate-limits anonymous calls to
public routes per client IP, (6) checks the CSRF token of cookie-authenticated state-changing
requests, and (7) leaves the principal in ``request.state.principal``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import Request
from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.accounts import policy
from xinyong.accounts.api_keys import ApiKeyCache, resolve_principal
from xinyong.accounts.deps import set_request_principal
from xinyong.accounts.principal import ROLE_NAMES_ZH, Principal
from xinyong.core.db import Database
from xinyong.core.errors import DomainError, Forbidden
from xinyong.core.hardening import TokenBucket, read_body, replay_body
from xinyong.core.settings import get_settings

# The denial page (accounts.pages.denied_page) is imported inside the two functions that show it:
# the pages module imports this one (cookie names, client_ip), a real cycle.

log = logging.getLogger("xinyong.accounts")

SESSION_COOKIE = "xinyong_session"
CSRF_COOKIE = "xinyong_csrf"  # double-submit token of forms shown before login
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
DENIED_HEADER = "X-Access-Denied"  # set on every refusal by the access policy
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# ---------------------------------------------------------------------------------------------
# The app's routes as templates, in routing order


@dataclass(frozen=True)
class RouteEntry:
    template: str
    methods: frozenset[str]
    regex: re.Pattern[str]
    mount: bool


def route_entries(app: Any) -> list[RouteEntry]:
    """Every route of ``app`` (included routers flattened, mounts as ``<path>/{path:path}``)."""
    out = []
    for rc in iter_route_contexts(app.routes):
        path = rc.path
        if not isinstance(path, str):
            continue
        if isinstance(rc.original_route, Mount):
            template = path.rstrip("/") + "/{path:path}"
            methods = frozenset({"GET", "HEAD"})
        else:
            methods = frozenset(rc.methods or ())
            if not methods:
                continue  # websocket routes
            template = path
        regex, _, _ = compile_path(template)
        out.append(RouteEntry(template, methods, regex, isinstance(rc.original_route, Mount)))
    return out


class RouteTable:
    def __init__(self, entries: list[RouteEntry]) -> None:
        self.entries = entries

    def match(self, method: str, path: str) -> str | None:
        """The template of the route the router will run, or None (404 / 405 follow)."""
        for e in self.entries:
            if e.regex.match(path) and (method in e.methods or (method == "HEAD" and "GET" in e.methods)):
                return e.template
        return None


# ---------------------------------------------------------------------------------------------
# Responses


def error_body(code: str, message: str, message_zh: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "message_zh": message_zh, "details": details}}


_DENIALS: dict[str, tuple[int, str, str]] = {
    policy.LOGIN_REQUIRED: (401, "Sign-in or an API key is required", "请先登录或提供 API 密钥"),
    policy.ROLE_DENIED: (403, "Your role may not use this endpoint", "当前角色无权访问该功能"),
    policy.SCOPE_DENIED: (
        403,
        "The API key lacks the scope this endpoint needs",
        "该 API 密钥没有访问该接口的权限范围",
    ),
    policy.KEY_NOT_ALLOWED: (
        403,
        "This endpoint is for signed-in users only",
        "该功能仅供登录用户使用，不接受 API 密钥",
    ),
    policy.NO_POLICY: (
        403,
        "No access rule is declared for this endpoint",
        "该接口未声明访问规则，已拒绝访问",
    ),
    "auth.csrf_failed": (
        403,
        "The CSRF token is missing or wrong: reload the page and try again",
        "页面已过期或请求来源无法确认，请刷新页面后重试",
    ),
}


# The page a person sees when a portal page is refused: (status, Chinese message) -> response.
# The app passes the portal's (``AccessMiddleware(app, denied_page=...)``); this domain renders
# no page itself.
DeniedPage = Callable[[int, str], Response]


def _is_page(path: str) -> bool:
    return not (path.startswith("/api/") or path in ("/openapi.json", "/docs") or path.startswith("/static/"))


def client_ip(scope: Scope) -> str:
    if get_settings().trust_forwarded_for:
        forwarded = Headers(scope=scope).get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def is_https(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    return get_settings().trust_forwarded_for and Headers(scope=scope).get("x-forwarded-proto") == "https"


def cookie_secure(scope: Scope) -> bool:
    mode = get_settings().cookie_secure
    return mode == "always" or (mode == "auto" and is_https(scope))


def _clear_cookie_header(scope: Scope) -> tuple[bytes, bytes]:
    parts = [f"{SESSION_COOKIE}=", "Max-Age=0", "Path=/", "HttpOnly", "SameSite=Lax"]
    if cookie_secure(scope):
        parts.append("Secure")
    return b"set-cookie", "; ".join(parts).encode("latin-1")


def _deny(
    scope: Scope,
    code: str,
    principal: Principal,
    rule: policy.Rule | None,
    template: str | None,
    denied_page: DeniedPage,
) -> Response:
    status, message, message_zh = _DENIALS[code]
    details: dict[str, Any] = {"role": principal.role}
    if code == policy.ROLE_DENIED and rule is not None:
        message_zh = f"当前角色（{ROLE_NAMES_ZH.get(principal.role, principal.role)}）无权访问该功能"
        details["allowed_roles"] = sorted(rule.roles)
    if code == policy.SCOPE_DENIED and rule is not None:
        message_zh = f"该 API 密钥没有“{rule.scope}”权限范围（{policy.SCOPES.get(rule.scope or '', '')}）"
        details["scope"] = rule.scope
    if template is not None:
        details["route"] = f"{scope['method']} {template}"
    path = scope["path"]
    response: Response
    if _is_page(path) and principal.kind != "api_key":
        if code == policy.LOGIN_REQUIRED:
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            response = denied_page(status, message_zh)
    else:
        headers = {"WWW-Authenticate": 'Bearer realm="xinyong"'} if status == 401 else None
        response = JSONResponse(
            error_body(code, message, message_zh, **details), status_code=status, headers=headers
        )
    # Which rule refused the call, for clients and operators (the JSON body says it too).
    response.headers[DENIED_HEADER] = code
    return response


def _error_response(scope: Scope, exc: DomainError, denied_page: DeniedPage) -> Response:
    if _is_page(scope["path"]) and exc.status_code in (401, 403):
        return denied_page(exc.status_code, exc.message_zh)
    headers = {"WWW-Authenticate": 'Bearer realm="xinyong"'} if exc.status_code == 401 else None
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


# ---------------------------------------------------------------------------------------------
# The middleware


def _credentials(headers: Headers) -> tuple[str | None, str | None]:
    """(API key, session token) sent with the request."""
    api_key = None
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        api_key = value.strip()
    elif headers.get("x-api-key"):
        api_key = headers["x-api-key"].strip()
    cookies = cookie_parser(headers.get("cookie", ""))
    return api_key, cookies.get(SESSION_COOKIE) or None


def _resolve(db: Database, api_key: str | None, token: str | None, ip: str) -> tuple[Principal, bool]:
    with db.session() as session:
        return resolve_principal(session, api_key=api_key, session_token=token, client_ip=ip)


class AccessMiddleware:
    def __init__(self, app: ASGIApp, *, denied_page: DeniedPage) -> None:
        self.app = app
        self.denied_page = denied_page
        self._table: RouteTable | None = None
        self._table_size = -1
        s = get_settings()
        self.limiter = TokenBucket(s.rate_limit_per_minute, s.rate_limit_burst)
        self.keys = ApiKeyCache(s.api_key_cache_seconds)
        self._inflight: dict[tuple[int, str], asyncio.Future[Principal]] = {}

    def table(self, app: Any) -> RouteTable:
        size = len(app.routes)
        if self._table is None or size != self._table_size:
            self._table = RouteTable(route_entries(app))
            self._table_size = size
        return self._table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        # The path the router matches on (without a root_path prefix), so both agree.
        template = self.table(scope["app"]).match(method, get_route_path(scope))
        state = scope.setdefault("state", {})
        ip = client_ip(scope)
        if template is None:  # the router answers 404 / 405 / a slash redirect
            state["principal"] = Principal(client_ip=ip)
            await self.app(scope, receive, send)
            return
        rule = policy.lookup(method, template)
        headers = Headers(scope=scope)
        s = get_settings()

        # 1. Request size
        limit = s.max_upload_bytes if rule is not None and rule.body == "upload" else s.max_request_bytes
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(limit)(scope, receive, send)
            return
        receive = _limited(receive, limit)

        # 2. Who is calling
        api_key, token = _credentials(headers)
        stale = False
        principal = Principal(client_ip=ip)
        db = scope["app"].state.db
        cached = self.keys.get(id(db), api_key, ip) if api_key else None
        if cached is not None:
            principal = cached
        elif api_key or token:
            try:
                if api_key:
                    principal = await self._resolve_key(db, api_key, ip)
                else:
                    principal, stale = await anyio.to_thread.run_sync(_resolve, db, None, token, ip)
            except DomainError as exc:
                # Guessing keys costs tokens from the caller's bucket, on every route.
                wait = self.limiter.take(f"bad-credentials:{ip}")
                response = (
                    self._rate_limited_response(wait)
                    if wait > 0
                    else _error_response(scope, exc, self.denied_page)
                )
                await response(scope, receive, send)
                return

        set_request_principal(principal)  # for the portal's navigation (templates)

        # 3. The policy
        decision = policy.decide(rule, principal)
        if decision != policy.ALLOW:
            if decision == policy.NO_POLICY:
                log.error("no access rule for %s %s: denied", method, template)
            await self._with_cookie_cleared(
                _deny(scope, decision, principal, rule, template, self.denied_page), scope, stale
            )(scope, receive, send)
            return

        # 4. Rate limit: anonymous calls to public routes, per client IP
        if rule is not None and rule.public and rule.rate_limited and not principal.authenticated:
            wait = self.limiter.take(ip)
            if wait > 0:
                await self._rate_limited_response(wait)(scope, receive, send)
                return

        # 5. CSRF: cookie-authenticated (or pre-login form) state changes
        if method not in SAFE_METHODS and principal.kind != "api_key":
            ok, receive = await _csrf_ok(scope, receive, headers, principal)
            if not ok:
                denied = _deny(scope, "auth.csrf_failed", principal, rule, template, self.denied_page)
                await denied(scope, receive, send)
                return

        state["principal"] = principal
        state["policy_route"] = f"{method} {template}"
        if stale:
            clear = _clear_cookie_header(scope)

            async def send_clearing(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], clear]
                await send(message)

            await self.app(scope, receive, send_clearing)
            return
        await self.app(scope, receive, send)

    async def _resolve_key(self, db: Database, api_key: str, ip: str) -> Principal:
        """Resolve an API key once for all the requests that carry it meanwhile: when the cached
        entry lapses under load, dozens of requests would otherwise each query (and each try to
        stamp the key's last use) at the same moment."""
        flight_key = (id(db), api_key)
        pending = self._inflight.get(flight_key)
        if pending is not None:
            principal: Principal = await asyncio.shield(pending)
            return replace(principal, client_ip=ip)
        pending = asyncio.get_running_loop().create_future()
        self._inflight[flight_key] = pending
        try:
            generation = self.keys.generation()
            principal, _ = await anyio.to_thread.run_sync(_resolve, db, api_key, None, ip)
            self.keys.put(id(db), api_key, principal, generation)
            pending.set_result(principal)
            return principal
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._inflight[flight_key]

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _rate_limited_response(wait: float) -> Response:
        seconds = TokenBucket.retry_after(wait)
        return JSONResponse(
            error_body(
                "rate_limited",
                f"Too many requests: retry after {seconds} s",
                f"请求过于频繁，请 {seconds} 秒后再试",
                retry_after=seconds,
            ),
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )

    @staticmethod
    def _too_large(limit: int) -> Response:
        return JSONResponse(
            error_body(
                "too_large",
                f"The request body is larger than {limit} bytes",
                f"请求内容过大（上限 {limit} 字节）",
                limit=limit,
            ),
            status_code=413,
        )

    @staticmethod
    def _with_cookie_cleared(response: Response, scope: Scope, stale: bool) -> Response:
        if stale:
            name, value = _clear_cookie_header(scope)
            response.raw_headers.append((name, value))
        return response


def _limited(receive: Receive, limit: int) -> Receive:
    """Count body bytes as they arrive (chunked uploads have no Content-Length)."""
    seen = 0

    async def limited_receive() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, f"The request body is larger than {limit} bytes")
        return message

    return limited_receive


async def _csrf_ok(
    scope: Scope, receive: Receive, headers: Headers, principal: Principal
) -> tuple[bool, Receive]:
    """Check the CSRF token; returns (ok, the receive to hand on: the body is replayed when it was
    read to find the form field)."""
    cookies = cookie_parser(headers.get("cookie", ""))
    if principal.via_session:
        expected = principal.csrf_token or ""
    else:
        # Not signed in: only browser forms can carry ambient authority (the pre-login form
        # token); other anonymous calls have none to abuse.
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _FORM_TYPES:
            return True, receive
        expected = cookies.get(CSRF_COOKIE, "")
    sent = headers.get(CSRF_HEADER)
    if sent is None:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in _FORM_TYPES:
            body, _ = await read_body(receive)
            receive = replay_body(body, receive)
            sent = await _form_field(scope, body, CSRF_FIELD)
    if not expected or not sent:
        return False, receive
    return hmac.compare_digest(expected.encode(), sent.encode()), receive


async def _form_field(scope: Scope, body: bytes, name: str) -> str | None:
    from starlette.requests import Request

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request({**scope, "state": {}}, receive=once)
    try:
        form = await request.form()
    except Exception:  # a malformed form body: the route answers it
        return None
    try:
        value = form.get(name)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def policy_guard(request: Request) -> None:
    """App-wide dependency, a second lock behind the middleware: the route that actually runs
    must be the one the middleware checked. If the middleware did not recognise it (a routing
    subtlety, the middleware missing), the call is refused (fail closed)."""
    scope = request.scope
    declared = scope.get("state", {}).get("policy_route")
    actual = None
    route = scope.get("route")
    if route is not None and isinstance(getattr(route, "path", None), str):
        included = scope.get("fastapi", {}).get("included_router")
        prefix = getattr(getattr(included, "include_context", None), "prefix", "") or ""
        actual = f"{scope['method']} {prefix}{route.path}"
    if declared is None or (actual is not None and actual != declared):
        log.error("access policy not applied to %s (checked: %s): denied", actual, declared)
        _, message, message_zh = _DENIALS[policy.NO_POLICY]
        raise Forbidden(message, message_zh, code=policy.NO_POLICY, route=actual)
