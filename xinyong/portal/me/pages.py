"""Subject self-service pages (``/me``), for a signed-in subject account (the access policy lets
no other role in). Server-rendered in the portal frame; forms carry the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError, NotFound
from xinyong.core.paging import page_number
from xinyong.core.params import db_id
from xinyong.portal.me import service
from xinyong.portal.pages import not_found_page
from xinyong.portal.strings import t
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)

# The sections of the self-service pages (href, string key).
SECTIONS = (
    ("/me", "me.nav.overview"),
    ("/me/records", "me.nav.records"),
    ("/me/grade", "me.nav.grade"),
    ("/me/lists", "me.nav.lists"),
    ("/me/objections", "me.nav.objections"),
    ("/me/repairs", "me.nav.repairs"),
    ("/me/commitments", "me.nav.commitments"),
    ("/me/declarations", "me.nav.declarations"),
    ("/my/viewers", "me.nav.viewers"),
    ("/me/reports", "me.nav.reports"),
)


def _render(
    request: Request, template: str, context: dict[str, object], status_code: int = 200
) -> HTMLResponse:
    return render(request, template, {"sections": SECTIONS, **context}, status_code, private=True)


def _unbound(request: Request) -> HTMLResponse:
    return not_found_page(request, t("me.unbound"))


@router.get("/me", response_class=HTMLResponse)
def me_overview(
    request: Request,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    try:
        view = service.overview(session, principal)
    except NotFound:
        return _unbound(request)
    return _render(request, "me/overview.html", {"view": view, "me": view.me})


@router.get("/me/records", response_class=HTMLResponse)
def me_records(
    request: Request,
    page: str | None = None,
    category: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    try:
        view = service.my_file(session, principal, page=page_number(page), category=category)
    except NotFound:
        return _unbound(request)
    return _render(request, "me/records.html", {"view": view, "me": view.me})


@router.get("/me/grade", response_class=HTMLResponse)
def me_grade(
    request: Request,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    try:
        view = service.my_grade(session, principal)
    except NotFound:
        return _unbound(request)
    return _render(request, "me/grade.html", {"view": view, "me": view.me})


def _lists_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    error_procedure: int | None = None,
    text: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    try:
        view = service.my_procedures(session, principal)
    except NotFound:
        return _unbound(request)
    return _render(
        request,
        "me/lists.html",
        {
            "view": view,
            "me": view.me,
            "csrf_token": principal.csrf_token or "",
            "notice": notice,
            "error": error,
            "error_procedure": error_procedure,
            "text": text,
        },
        status_code,
    )


@router.get("/me/lists", response_class=HTMLResponse)
def me_lists(
    request: Request,
    done: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    notice = t("me.lists.statement_filed") if done == "statement" else None
    return _lists_page(request, session, principal, notice=notice)


@router.post("/me/lists/{procedure_id}/statement", response_class=HTMLResponse)
def me_statement(
    request: Request,
    procedure_id: str,
    text: str = Form(""),
    hearing: str = Form(""),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if db_id(procedure_id) is None:
        return not_found_page(request)
    try:
        service.file_statement(
            session, principal, int(procedure_id), text[:5000], hearing_requested=hearing in ("1", "on")
        )
    except DomainError as exc:
        session.rollback()
        return _lists_page(
            request,
            session,
            principal,
            error=exc.message_zh,
            error_procedure=int(procedure_id),
            text=text[:5000],
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/me/lists?done=statement#procedure-{procedure_id}", status_code=303)
