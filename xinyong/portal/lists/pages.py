"""The public red / watch / black lists and the announcements of published listings
(``/lists…``), from the lists service. Server-rendered in the portal's frame."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from xinyong.core.deps import get_session
from xinyong.core.errors import NotFound
from xinyong.core.paging import page_count, page_number
from xinyong.core.params import db_id
from xinyong.lists import service
from xinyong.portal.pages import not_found_page
from xinyong.portal.service import member_href
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 20
KINDS = ("red", "watch", "black")


@router.get("/lists", response_class=HTMLResponse)
def lists_home(request: Request, session: Session = Depends(get_session, scope="function")) -> HTMLResponse:
    counts = service.public_counts(session)
    types = [t for t in service.list_types() if t.procedure.publication]
    return render(request, "lists/home.html", {"types": types, "counts": counts})


def _members_page(
    request: Request, session: Session, kind: str, list_type: str, page: str | None
) -> HTMLResponse:
    types = [t for t in service.list_types() if t.procedure.publication and t.kind == kind]
    chosen = list_type if any(t.code == list_type for t in types) else ""
    result = service.public_members(
        session, kind=kind, list_type=chosen or None, page=page_number(page), per_page=PER_PAGE
    )
    return render(
        request,
        "lists/members.html",
        {
            "kind": kind,
            "types": types,
            "chosen": chosen,
            "result": result,
            "pages": page_count(result.total, PER_PAGE),
            "member_href": member_href,
        },
    )


def _members_route(kind: str) -> Callable[..., HTMLResponse]:
    """The endpoint of one kind's public list page: the three differ only in the kind."""

    def endpoint(
        request: Request,
        list_type: str = Query("", alias="type"),
        page: str | None = None,
        session: Session = Depends(get_session, scope="function"),
    ) -> HTMLResponse:
        return _members_page(request, session, kind, list_type, page)

    # Named as the per-kind functions were (the route's name comes from it).
    endpoint.__name__ = endpoint.__qualname__ = f"{kind}_list"
    return endpoint


red_list = router.get("/lists/red", response_class=HTMLResponse)(_members_route("red"))
watch_list = router.get("/lists/watch", response_class=HTMLResponse)(_members_route("watch"))
black_list = router.get("/lists/black", response_class=HTMLResponse)(_members_route("black"))


@router.get("/lists/announcements", response_class=HTMLResponse)
def announcements(
    request: Request, page: str | None = None, session: Session = Depends(get_session, scope="function")
) -> HTMLResponse:
    number = page_number(page)
    total, items = service.announcements(session, page=number, per_page=PER_PAGE)
    return render(
        request,
        "lists/announcements.html",
        {"items": items, "total": total, "page": number, "pages": page_count(total, PER_PAGE)},
    )


@router.get("/lists/announcements/{procedure_id}", response_class=HTMLResponse)
def announcement(
    request: Request, procedure_id: str, session: Session = Depends(get_session, scope="function")
) -> HTMLResponse:
    if db_id(procedure_id) is None:
        return not_found_page(request)
    try:
        item = service.announcement(session, int(procedure_id))
    except NotFound:
        return not_found_page(request)
    return render(request, "lists/announcement.html", {"a": item})
