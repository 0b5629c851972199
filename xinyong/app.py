"""The FastAPI application: routers, the one error shape, offline API docs."""

from __future__ import annotations

import gc
import html
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong import __version__
from xinyong.accounts.middleware import AccessMiddleware, policy_guard
from xinyong.accounts.worker import lifespan as key_use_lifespan
from xinyong.core import api_errors, openapi_spec
from xinyong.core.db import Database, get_database
from xinyong.core.errors import DomainError
from xinyong.core.hardening import ControlCharacterGuard, SecurityHeadersMiddleware
from xinyong.creditstate.worker import lifespan as creditstate_lifespan
from xinyong.evaluation.worker import lifespan as evaluation_lifespan
from xinyong.ingest.worker import lifespan as ingest_lifespan
from xinyong.jobs import register_consumers
from xinyong.jobs.checkpoint_worker import lifespan as checkpoint_lifespan
from xinyong.jobs.worker import lifespan as jobs_lifespan
from xinyong.lists.worker import lifespan as lists_lifespan
from xinyong.measures.worker import lifespan as measures_lifespan
from xinyong.objections.worker import lifespan as objections_lifespan
from xinyong.portal.account.pages import denied_page
from xinyong.repairs.worker import lifespan as repairs_lifespan

log = logging.getLogger("xinyong")

_STATIC_DIR = Path(__file__).resolve().parent / "core" / "static"
_DOCS_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Xinyong API 文档</title>
<meta name="xinyong-csrf" content="{csrf}">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" type="image/png" href="/static/swagger/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
"""

_HTTP_ZH = {
    400: "请求有误",
    401: "未登录或凭证无效",
    403: "无权访问",
    404: "未找到",
    405: "不支持该请求方法",
    409: "冲突",
    413: "请求内容过大",
    422: "数据校验未通过",
    429: "请求过于频繁",
}


def _error(status: int, code: str, message: str, message_zh: str, details: Any = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "message_zh": message_zh, "details": details or {}}}
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to ``{"error": {code, message, message_zh, details}}``, in one place."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return _error(
            422,
            "invalid_request",
            "The request failed validation",
            api_errors.summary_zh(errors),
            {"errors": api_errors.describe(errors)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = _HTTP_ZH.get(exc.status_code, "请求失败")
        resp = _error(exc.status_code, f"http_{exc.status_code}", str(exc.detail), zh)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(Exception)
    async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
        # Never show a stack trace to a client; the log keeps it.
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal_error", "Internal error", "系统内部错误，请稍后再试")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Every domain's background job, started with the app and stopped with it."""
    async with AsyncExitStack() as stack:
        for lifespan in (
            jobs_lifespan,
            ingest_lifespan,
            key_use_lifespan,
            creditstate_lifespan,
            evaluation_lifespan,
            measures_lifespan,
            lists_lifespan,
            checkpoint_lifespan,
            repairs_lifespan,
            objections_lifespan,
        ):
            await stack.enter_async_context(lifespan(app))
        if getattr(app.state, "server_process", False):
            _tune_gc()
        yield


def _tune_gc() -> None:
    """A serving process: what was loaded at start (catalogs, models, routes) lives as long as
    the process, so it is moved out of the collector's sight, and young collections run less
    often. With the defaults, a full collection over that heap stalled every request in flight
    (the check API's p99 at 32 connections fell from ~190 ms to ~50 ms on a 2-core machine)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1_000)


def server_app() -> FastAPI:
    """The app as ``xinyong serve`` runs it (uvicorn factory): ``create_app`` plus the tuning
    only a long-running server process wants (tests build many apps in one process)."""
    app = create_app()
    app.state.server_process = True
    return app


def create_app(db: Database | None = None) -> FastAPI:
    app = FastAPI(
        title="Xinyong 信用 API",
        version=__version__,
        description="公共信用信息平台 API. JSON under /api/v1/. Errors: {error: {code, message, message_zh, details}}.",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,  # background jobs: each domain's worker.py (each can be off)
        dependencies=[Depends(policy_guard)],  # behind AccessMiddleware: the checked route is the one run
    )
    app.state.db = db or get_database()
    register_consumers()  # a submission through the API leaves the credit states up to date
    install_error_handlers(app)
    # Every request passes the access policy (xinyong/accounts/policy.py), then gets the headers.
    app.add_middleware(AccessMiddleware, denied_page=denied_page)
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(SecurityHeadersMiddleware)

    # Swagger UI 5 is vendored under core/static/swagger (OpenAPI 3.1 support): docs work offline.
    app.mount("/static/swagger", StaticFiles(directory=str(_STATIC_DIR / "swagger")), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        # No inline script (CSP): Swagger UI is started by /docs/swagger-init.js.
        principal = request.scope.get("state", {}).get("principal")
        csrf = html.escape(getattr(principal, "csrf_token", None) or "")
        return HTMLResponse(_DOCS_HTML.replace("{csrf}", csrf), headers={"Cache-Control": "no-store"})

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    def docs_init() -> FileResponse:
        return FileResponse(_STATIC_DIR / "swagger-init.js", media_type="text/javascript")

    @app.get("/api/v1/health", tags=["system"], summary="健康检查（版本、存储类型）")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "store": app.state.db.dialect}

    app.openapi = openapi_spec.install(app, app.openapi)  # type: ignore[method-assign]
    for router in _routers():
        app.include_router(router)
    return app


def _routers() -> list[Any]:
    """Every domain's router, imported here so the app is assembled in one place (inside the
    function: the CLI imports this module for `serve` and its commands, and need not load every
    router to do so; not to dodge a cycle)."""
    from xinyong.access.api import router as subject_files
    from xinyong.accounts.api import router as accounts
    from xinyong.catalog.api import router as catalog
    from xinyong.commitments.api import router as commitments
    from xinyong.content.api import router as content
    from xinyong.core.calendar_api import router as calendar
    from xinyong.creditstate.api import router as creditstate
    from xinyong.declarations.api import router as declarations
    from xinyong.evaluation.api import router as evaluation
    from xinyong.government.api import router as government
    from xinyong.ingest.api import router as ingest
    from xinyong.ledger.api import router as ledger
    from xinyong.lists.api import router as lists
    from xinyong.measures.api import router as measures
    from xinyong.monitoring.api import router as monitoring
    from xinyong.objections.api import router as objections
    from xinyong.portal.account.pages import router as account_pages
    from xinyong.portal.console.commitments import router as console_commitments
    from xinyong.portal.console.insight import router as console_insight
    from xinyong.portal.console.pages import router as console
    from xinyong.portal.console.queue import router as lists_queue
    from xinyong.portal.console.rights import router as console_rights
    from xinyong.portal.content_pages import router as content_pages
    from xinyong.portal.lists.pages import router as lists_pages
    from xinyong.portal.me.commitments import router as me_commitments
    from xinyong.portal.me.pages import router as me
    from xinyong.portal.me.rights import router as me_rights
    from xinyong.portal.me.viewers import router as my_viewers
    from xinyong.portal.pages import router as portal
    from xinyong.portal.reports.pages import router as report_pages
    from xinyong.portal.track import router as rights_track
    from xinyong.quality.api import router as quality
    from xinyong.querylog.api import router as querylog
    from xinyong.records.api import router as records
    from xinyong.repairs.api import router as repairs
    from xinyong.reports.api import router as reports
    from xinyong.subjects.api import router as subjects

    # FastAPI tries routes in this order, each router's in turn: the check API (the one other
    # systems call before every act) comes first, which saves it a walk over ~200 routes.
    return [
        measures,
        subject_files,
        subjects,
        catalog,
        ingest,
        records,
        creditstate,
        ledger,
        calendar,
        lists,
        objections,
        repairs,
        accounts,
        evaluation,
        querylog,
        quality,
        government,
        monitoring,
        commitments,
        declarations,
        content,
        portal,
        content_pages,
        lists_pages,
        lists_queue,
        account_pages,
        my_viewers,
        me,
        me_rights,
        me_commitments,
        console,
        reports,
        report_pages,
        console_insight,
        console_rights,
        console_commitments,
        rights_track,
    ]
