"""Portal page of the querylog domain: 谁查询了我 (``/my/viewers``), for a signed-in subject account.

Rendered in the portal's frame (its base template and strings file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.clock import CHINA_TZ as CHINA
from xinyong.core.deps import get_session
from xinyong.core.hardening import SECURITY_HEADERS
from xinyong.core.paging import page_number
from xinyong.querylog import service

router = APIRouter(include_in_schema=False)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The portal's Jinja environment (globals, filters, base.html) plus this domain's templates."""
    from xinyong.portal.templating import environment as portal_environment

    base = portal_environment()
    assert base.loader is not None
    return base.overlay(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), base.loader]))


def _item_names() -> dict[str, str]:
    """Catalog item code → Chinese name, plus the non-record things a read can return."""
    from xinyong.catalog import service as catalog_service
    from xinyong.portal.strings import t

    names = {i.code: i.name_zh for i in catalog_service.get_catalog().items()}
    names.update(
        {"subject_profile": t("querylog.item.subject_profile"), "id_number": t("querylog.item.id_number")}
    )
    return names


@router.get("/my/viewers", response_class=HTMLResponse)
def my_viewers(
    request: Request,
    page: str | None = None,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """Who looked at the signed-in subject's non-public information (organisation, purpose, time)."""
    from xinyong.portal.service import Pager
    from xinyong.subjects import service as subjects_service

    subject = subjects_service.get_subject(session, principal.subject_id) if principal.subject_id else None
    per_page = 20
    viewings = (
        service.viewers_of(session, subject.id, page=page_number(page), per_page=per_page)
        if subject
        else service.ViewingPage(0, 1, per_page, [])
    )
    html = (
        environment()
        .get_template("my_viewers.html")
        .render(
            request_path=request.url.path,
            subject=subject,
            viewings=viewings,
            pager=Pager.of(viewings.total, viewings.page, per_page),
            years=service.retention_years(),
            china=CHINA,
            item_name=_item_names(),
        )
    )
    return HTMLResponse(html, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
