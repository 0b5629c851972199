"""The OpenAPI document as people read it in /docs: security schemes (so the page has an
Authorize button), tags named in Chinese with the English code beside them, and a Chinese summary
on every operation (checked by tests/core/test_openapi.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The OpenAPI security schemes, so /docs has an Authorize button: an API key (header X-API-Key,
# or Authorization: Bearer) and the portal's session cookie.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "API 密钥（xy_ 开头），由管理员或账户页签发。API key issued in the console or account page.",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "同一 API 密钥，放在 Authorization: Bearer 头中。The same API key as a bearer token.",
    },
    "SessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "xinyong_session",
        "description": "门户登录后的会话 Cookie（浏览器中自动携带；修改类请求另需 CSRF 令牌）。Portal session cookie.",
    },
}


# Every router's tag → the name /docs shows. The English code stays in brackets: clients and
# generated SDKs group by it.
TAG_NAMES: dict[str, str] = {
    "accounts": "账户与密钥（accounts）",
    "calendar": "工作日历（calendar）",
    "catalog": "信用信息目录（catalog）",
    "content": "通知公告与政策法规（content）",
    "evaluation": "公共信用综合评价（evaluation）",
    "governance": "重错码治理（governance）",
    "ingest": "数据归集（ingest）",
    "ledger": "存证账本（ledger）",
    "lists": "红黑名单（lists）",
    "measures": "联合奖惩（measures）",
    "query log": "查询日志（query log）",
    "records": "信用记录（records）",
    "subjects": "信用主体（subjects）",
    "system": "系统（system）",
    "reports": "信用报告（reports）",
    "objections": "异议申诉（objections）",
    "repairs": "信用修复（repairs）",
    "commitments": "信用承诺（commitments）",
    "declarations": "自主申报（declarations）",
    "government": "政务诚信（government）",
    "quality": "数据质量（quality）",
    "monitoring": "信用监测（monitoring）",
    "register": "登记注册信息（register）",
}


def polish(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the security schemes and the Chinese tag names to a generated OpenAPI document."""
    components = spec.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    # Anonymous calls are allowed where the route is public ({}), so the default requirement
    # lists every scheme as an alternative rather than demanding one.
    spec["security"] = [{"ApiKey": []}, {"Bearer": []}, {"SessionCookie": []}, {}]
    used: set[str] = set()
    for ops in spec.get("paths", {}).values():
        for op in ops.values():
            if isinstance(op, dict) and "tags" in op:
                op["tags"] = [TAG_NAMES.get(t, t) for t in op["tags"]]
                used.update(op["tags"])
    spec["tags"] = [{"name": name, "description": code} for code, name in TAG_NAMES.items() if name in used]
    return spec


def install(app: Any, build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` replaced by one that builds the document once and polishes it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = polish(build())
        return app.openapi_schema

    return openapi
