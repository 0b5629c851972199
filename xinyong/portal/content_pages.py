"""Pages of the content sections: the public lists and articles (/content/...) and the staff's
editor in the console (/console/content/...). Text and files go through ``content.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.content import service as content
from xinyong.content.schemas import SECTIONS
from xinyong.core.deps import DbSession
from xinyong.core.errors import DomainError
from xinyong.core.paging import page_number
from xinyong.portal.console.pages import _desk, _message, _render
from xinyong.portal.pages import not_found_page
from xinyong.portal.service import Pager
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
PER_PAGE = 20


def _by(principal: Principal) -> str:
    return principal.display_name or principal.username or principal.role


# --- public --------------------------------------------------------------------------------------


@router.get("/content/{section}", response_class=HTMLResponse)
def section_page(request: Request, section: str, session: DbSession, page: str | None = None) -> HTMLResponse:
    if section not in SECTIONS:
        return not_found_page(request)
    found = content.list_posts(session, section=section, page=page_number(page), per_page=PER_PAGE)
    return render(
        request,
        "content/section.html",
        {
            "section": section,
            "section_zh": SECTIONS[section],
            "sections": SECTIONS,
            "posts": found.items,
            "pager": Pager.of(found.total, found.page, PER_PAGE),
        },
    )


@router.get("/content/{section}/{post_id}", response_class=HTMLResponse)
def post_page(request: Request, section: str, post_id: int, session: DbSession) -> HTMLResponse:
    if section not in SECTIONS or not 1 <= post_id <= 2**63 - 1:
        return not_found_page(request)
    try:
        post = content.get_post(session, post_id)
    except DomainError as exc:
        return not_found_page(request, exc.message_zh)
    if post.section != section:
        return not_found_page(request)
    return render(request, "content/post.html", {"post": post, "sections": SECTIONS})


# --- console ------------------------------------------------------------------------------------


@router.get("/console/content", response_class=HTMLResponse)
def console_list(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    desk = _desk(session, principal)
    posts = content.list_posts(session, published_only=False, per_page=100).items
    return _render(
        request, desk, "console/content.html", {"posts": posts, "post": None, "sections_zh": SECTIONS}
    )


@router.get("/console/content/{post_id}", response_class=HTMLResponse)
def console_edit(
    request: Request, post_id: int, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    desk = _desk(session, principal)
    try:
        post = content.get_post(session, post_id, published_only=False)
    except DomainError as exc:
        return _message(request, desk, exc)
    posts = content.list_posts(session, published_only=False, per_page=100).items
    return _render(
        request, desk, "console/content.html", {"posts": posts, "post": post, "sections_zh": SECTIONS}
    )


@router.post("/console/content")
def console_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    section: str = Form(...),
    title: str = Form(""),
    body_md: str = Form(""),
) -> Response:
    try:
        post = content.create_post(
            session, section=section, title=title, body_md=body_md, author=_by(principal)
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, _desk(session, principal), exc)
    session.commit()
    return RedirectResponse(f"/console/content/{post.id}", status_code=303)


@router.post("/console/content/{post_id}")
def console_update(
    request: Request,
    post_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    section: str = Form(...),
    title: str = Form(""),
    body_md: str = Form(""),
) -> Response:
    try:
        content.update_post(
            session, post_id, section=section, title=title, body_md=body_md, author=_by(principal)
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, _desk(session, principal), exc)
    session.commit()
    return RedirectResponse(f"/console/content/{post_id}", status_code=303)


@router.post("/console/content/{post_id}/publish")
def console_publish(
    request: Request, post_id: int, session: DbSession, principal: CurrentPrincipal
) -> Response:
    try:
        content.publish_post(session, post_id, by=_by(principal))
    except DomainError as exc:
        session.rollback()
        return _message(request, _desk(session, principal), exc)
    session.commit()
    return RedirectResponse(f"/console/content/{post_id}", status_code=303)


@router.post("/console/content/{post_id}/attachments")
async def console_attach(
    request: Request,
    post_id: int,
    session: DbSession,
    principal: CurrentPrincipal,
    file: UploadFile = File(...),
) -> Response:
    data = await file.read(content.MAX_ATTACHMENT_BYTES + 1)
    try:
        content.add_attachment(
            session, post_id, filename=file.filename or "附件", data=data, by=_by(principal)
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, _desk(session, principal), exc)
    session.commit()
    return RedirectResponse(f"/console/content/{post_id}", status_code=303)
