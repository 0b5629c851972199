"""Account pages: login, logout, my account (password change), and self-registration of subject
accounts, and the page shown when the access policy refuses a page. Server-rendered in the
portal's frame; every form carries a CSRF token that the access middleware checks."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts import service
from xinyong.accounts.binding import BindingClaim, get_binder
from xinyong.accounts.deps import current_principal
from xinyong.accounts.middleware import CSRF_COOKIE, SESSION_COOKIE, client_ip, cookie_secure
from xinyong.accounts.principal import Principal
from xinyong.core.deps import DbSession
from xinyong.core.errors import DomainError
from xinyong.core.settings import get_settings
from xinyong.portal.templating import render
from xinyong.subjects import service as subjects_service

router = APIRouter(include_in_schema=False)


def denied_page(status: int, message_zh: str) -> HTMLResponse:
    """The Chinese page shown instead of a JSON error when a portal page is refused (the access
    middleware is given it by the app)."""
    return render(
        None, "account/denied.html", {"status": status, "message": message_zh}, status, private=True
    )


def safe_next(target: str | None, default: str = "/account") -> str:
    """Only a path on this site: never an absolute or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def home_of(role: str | None) -> str:
    """Where a role lands after login when no page asked for it: a subject on its own file, staff
    on the console, everyone else (a bank) on the account page."""
    if role == "subject":
        return "/me"
    if role in service.CONSOLE_ROLES:
        return "/console"
    return "/account"


def _form_token(request: Request) -> str:
    """The pre-login double-submit token (the cookie's value, or a new one)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def _with_form_cookie(request: Request, response: Response, token: str) -> Response:
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=cookie_secure(request.scope),
            path="/",
        )
    return response


def form_page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page whose form is posted before login: it carries the double-submit token (the cookie
    is set when the token is new)."""
    token = _form_token(request)
    response = render(request, template, {"csrf_token": token, **context}, status_code, private=True)
    return _with_form_cookie(request, response, token)


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().session_absolute_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request.scope),
        path="/",
    )


# ---------------------------------------------------------------------------------------------
# Login / logout


def _login_page(
    request: Request, *, next_url: str, username: str = "", error: str | None = None, status_code: int = 200
) -> Response:
    return form_page(
        request, "account/login.html", {"next": next_url, "username": username, "error": error}, status_code
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next: str = "", principal: Principal = Depends(current_principal)
) -> Response:
    if principal.via_session:
        return RedirectResponse(safe_next(next, home_of(principal.role)), status_code=303)
    return _login_page(request, next_url=safe_next(next, ""))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: DbSession,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    outcome = service.login(
        session,
        username,
        password,
        client_ip=client_ip(request.scope),
        user_agent=request.headers.get("user-agent"),
    )
    # Commit now: the request-scoped session would commit only after the response is sent, and
    # the browser follows the redirect at once (the failure counter must stick as well).
    session.commit()
    if not outcome.ok or outcome.token is None:
        return _login_page(
            request,
            next_url=safe_next(next),
            username=username[:64],
            error=outcome.message_zh,
            status_code=401,
        )
    # A new session on every login (no fixation); the old one, if any, ends.
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    session.commit()
    home = home_of(outcome.user.role if outcome.user else None)
    response = RedirectResponse(safe_next(next, home), status_code=303)
    _set_session_cookie(request, response, outcome.token)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    service.end_session(session, request.cookies.get(SESSION_COOKIE))
    session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request.scope)
    )
    return response


# ---------------------------------------------------------------------------------------------
# My account


def _account_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    user = service.get_user_by_id(session, principal.user_id or 0)
    subject = subjects_service.get_subject(session, user.subject_id) if user.subject_id is not None else None
    return render(
        request,
        "account/account.html",
        {
            "user": user,
            "subject": subject,
            "csrf_token": principal.csrf_token,
            "error": error,
            "notice": notice,
            "policy": service.password_policy(),
        },
        status_code=status_code,
        private=True,
    )


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request,
    session: DbSession,
    principal: Principal = Depends(current_principal),
) -> Response:
    return _account_page(request, session, principal)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: DbSession,
    current: str = Form(""),
    new: str = Form(""),
    confirm: str = Form(""),
    principal: Principal = Depends(current_principal),
) -> Response:
    if new != confirm:
        return _account_page(request, session, principal, error="两次输入的新密码不一致", status_code=422)
    try:
        service.change_password(
            session, principal.user_id or 0, current, new, keep_session_id=principal.session_id
        )
    except DomainError as exc:
        session.rollback()
        return _account_page(request, session, principal, error=exc.message_zh, status_code=exc.status_code)
    session.commit()
    return _account_page(request, session, principal, notice="密码已修改，其他设备上的登录已退出。")


# ---------------------------------------------------------------------------------------------
# Self-registration of subject accounts


def _register_page(
    request: Request, values: dict[str, str], *, error: str | None = None, status_code: int = 200
) -> Response:
    context = {"values": values, "error": error, "policy": service.password_policy()}
    return form_page(request, "account/register.html", context, status_code)


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request) -> Response:
    return _register_page(request, {})


@router.post("/register", response_class=HTMLResponse)
def register_submit(
    request: Request,
    session: DbSession,
    code: str = Form(""),
    rep_name: str = Form(""),
    rep_id_number: str = Form(""),
    username: str = Form(""),
    display_name: str = Form(""),
    password: str = Form(""),
    confirm: str = Form(""),
) -> Response:
    # Echo back what was typed, except the ID number and passwords.
    values = {
        "code": code[:40],
        "rep_name": rep_name[:50],
        "username": username[:64],
        "display_name": display_name[:100],
    }
    if password != confirm:
        return _register_page(request, values, error="两次输入的密码不一致", status_code=422)
    try:
        user = service.register_subject_account(
            session,
            claim=BindingClaim(
                code=code, legal_representative_name=rep_name, legal_representative_id_number=rep_id_number
            ),
            username=username,
            display_name=display_name or rep_name,
            password=password,
            binder=get_binder(),
        )
        token, _ = service.create_session(
            session,
            user.username,
            client_ip=client_ip(request.scope),
            user_agent=request.headers.get("user-agent"),
        )
    except DomainError as exc:
        session.rollback()
        return _register_page(request, values, error=exc.message_zh, status_code=exc.status_code)
    session.commit()
    response = RedirectResponse("/account", status_code=303)
    _set_session_cookie(request, response, token)
    return response
