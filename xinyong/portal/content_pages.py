"""Pages of the content sections: the public lists and articles (/content/...) and the staff's
editor in the console (/console/content/...). Text and files go through ``content.service``."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from xinyong.accounts.principal import Principal
from xinyong.content import service as content
from xinyong.content.schemas import SECTIONS, PostOut
from xinyong.core.deps import DbSession
from xinyong.core.errors import DomainError
from xinyong.core.paging import page_number
from xinyong.portal.console.pages import AtDesk, ConsoleCall
from xinyong.portal.pages import not_found_page
from xinyong.portal.service import Pager
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)
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


def _editor(at: ConsoleCall, post: PostOut | None) -> HTMLResponse:
    posts = content.list_posts(at.session, published_only=False, per_page=100).items
    return at.render("console/content.html", {"posts": posts, "post": post, "sections_zh": SECTIONS})


def _edited(post_id: int) -> str:
    return f"/console/content/{post_id}"


@router.get("/console/content", response_class=HTMLResponse)
def console_list(at: AtDesk) -> HTMLResponse:
    return _editor(at, None)


@router.get("/console/content/{post_id}", response_class=HTMLResponse)
def console_edit(at: AtDesk, post_id: int) -> Response:
    return at.attempt(lambda: _editor(at, content.get_post(at.session, post_id, published_only=False)))


@router.post("/console/content")
def console_create(
    at: AtDesk, section: str = Form(...), title: str = Form(""), body_md: str = Form("")
) -> Response:
    def act() -> str:
        post = content.create_post(
            at.session, section=section, title=title, body_md=body_md, author=_by(at.principal)
        )
        return _edited(post.id)

    return at.post(act)


@router.post("/console/content/{post_id}")
def console_update(
    at: AtDesk, post_id: int, section: str = Form(...), title: str = Form(""), body_md: str = Form("")
) -> Response:
    def act() -> str:
        content.update_post(
            at.session, post_id, section=section, title=title, body_md=body_md, author=_by(at.principal)
        )
        return _edited(post_id)

    return at.post(act)


@router.post("/console/content/{post_id}/publish")
def console_publish(at: AtDesk, post_id: int) -> Response:
    def act() -> str:
        content.publish_post(at.session, post_id, by=_by(at.principal))
        return _edited(post_id)

    return at.post(act)


@router.post("/console/content/{post_id}/attachments")
async def console_attach(at: AtDesk, post_id: int, file: UploadFile = File(...)) -> Response:
    data = await file.read(content.MAX_ATTACHMENT_BYTES + 1)

    def act() -> str:
        content.add_attachment(
            at.session, post_id, filename=file.filename or "附件", data=data, by=_by(at.principal)
        )
        return _edited(post_id)

    return at.post(act)
