"""Portal pages of the lists domain: the public red / watch / black lists, the announcements of
published listings, and the staff queue of list procedures (deadlines, overdue highlighted).
Server-rendered in the portal's frame (its base template, strings and stylesheet)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import NotFound
from xinyong.core.paging import page_count, page_number
from xinyong.lists import service
from xinyong.lists.api import actor_of
from xinyong.portal.templating import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PER_PAGE = 20
KINDS = ("red", "watch", "black")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The portal's Jinja environment (globals, filters, base.html) plus this domain's templates."""
    from xinyong.portal.templating import environment as portal_environment

    base = portal_environment()
    assert base.loader is not None
    return base.overlay(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), base.loader]))


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200, *, private: bool = False
) -> HTMLResponse:
    html = environment().get_template(template).render(request_path=request.url.path, **context)
    headers = {**SECURITY_HEADERS, **({"Cache-Control": "no-store"} if private else {})}
    return HTMLResponse(html, status_code=status_code, headers=headers)


@router.get("/lists", response_class=HTMLResponse)
def lists_home(request: Request, session: Session = Depends(get_session, scope="function")) -> HTMLResponse:
    counts = service.public_counts(session)
    types = [t for t in service.list_types() if t.procedure.publication]
    return render(request, "lists_home.html", {"types": types, "counts": counts})


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
        "lists_members.html",
        {
            "kind": kind,
            "types": types,
            "chosen": chosen,
            "result": result,
            "pages": page_count(result.total, PER_PAGE),
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
        "lists_announcements.html",
        {"items": items, "total": total, "page": number, "pages": page_count(total, PER_PAGE)},
    )


@router.get("/lists/announcements/{procedure_id}", response_class=HTMLResponse)
def announcement(
    request: Request, procedure_id: str, session: Session = Depends(get_session, scope="function")
) -> HTMLResponse:
    from xinyong.portal.pages import not_found_page

    if not procedure_id.isdigit():
        return not_found_page(request)
    try:
        item = service.announcement(session, int(procedure_id))
    except NotFound:
        return not_found_page(request)
    return render(request, "lists_announcement.html", {"a": item})


@router.get("/lists/queue", response_class=HTMLResponse)
def staff_queue(
    request: Request,
    overdue: str = "",
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> HTMLResponse:
    """The staff queue: procedures waiting for a step, overdue first (a provider sees its own)."""
    only = overdue in ("1", "true", "on")
    items = service.queue(session, actor=actor_of(principal), overdue_only=only)
    overdue_count = sum(1 for q in items if q.overdue)
    return render(
        request,
        "lists_queue.html",
        {
            "items": items,
            "only_overdue": only,
            "overdue_count": overdue_count,
            "today": service.today_china(),
        },
        private=True,
    )
