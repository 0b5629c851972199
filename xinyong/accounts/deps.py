"""FastAPI dependencies of the accounts domain, for every router to use.

``current_principal``: who is calling (set by the access middleware before the route runs).
The middleware already enforced ``policy.POLICY`` for the route; handlers use the principal for
what the table cannot say (own-department data, catalog items of an API key, disclosure).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated

from fastapi import Depends, Request

from xinyong.accounts.principal import Principal
from xinyong.core.errors import Unauthorized
from xinyong.core.procedures import Actor

# The caller of the request being handled, set by the access middleware; read by the portal's
# templates (the site navigation shows 登录 or the signed-in user's pages). Not for access decisions:
# handlers take ``current_principal``.
_REQUEST_PRINCIPAL: ContextVar[Principal | None] = ContextVar("xinyong_request_principal", default=None)


def set_request_principal(principal: Principal) -> None:
    _REQUEST_PRINCIPAL.set(principal)


def request_principal() -> Principal | None:
    """Who is calling in the request being handled (None outside a request)."""
    return _REQUEST_PRINCIPAL.get()


def principal_of(request: Request) -> Principal:
    """The principal the access middleware left on the request (``Unauthorized`` if none)."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        # The access middleware did not run: fail closed.
        raise Unauthorized(
            "No caller identity on this request", "无法确认调用者身份", code="auth.no_principal"
        )
    return principal


# The dependencies are ``async`` because they do no I/O: FastAPI runs a plain ``def`` dependency
# on a worker thread, and that hand-off cost more than everything else some routes do.


async def current_principal(request: Request) -> Principal:
    return principal_of(request)


async def signed_in(request: Request) -> Principal:
    """The principal, which must be authenticated (a user or an API key)."""
    principal = principal_of(request)
    if not principal.authenticated:
        raise Unauthorized(
            "Sign-in or an API key is required", "请先登录或提供 API 密钥", code="auth.login_required"
        )
    return principal


# The caller as a route parameter: ``principal: CurrentPrincipal``.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def actor_of(principal: Principal) -> Actor:
    """The caller as the procedures (lists, casework) take it: they narrow what it may do."""
    return Actor(
        label=principal.label,
        role=principal.role,
        provider_code=principal.provider_code,
        subject_id=principal.subject_id,
    )


async def current_actor(request: Request) -> Actor:
    return actor_of(principal_of(request))


# The caller of a procedure's route: ``actor: CurrentActor``.
CurrentActor = Annotated[Actor, Depends(current_actor)]
