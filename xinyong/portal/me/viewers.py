"""谁查询了我 (``/my/viewers``): who read a signed-in subject's non-public information, from the
query log service. Rendered in the portal's frame."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.catalog import service as catalog_service
from xinyong.core.clock import CHINA_TZ as CHINA
from xinyong.core.deps import get_session
from xinyong.core.paging import page_number
from xinyong.portal.service import Pager
from xinyong.portal.strings import t
from xinyong.portal.templating import render
from xinyong.querylog import service
from xinyong.subjects import service as subjects_service

router = APIRouter(include_in_schema=False)


def _item_names() -> dict[str, str]:
    """Catalog item code → Chinese name, plus the non-record things a read can return."""
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
    subject = subjects_service.get_subject(session, principal.subject_id) if principal.subject_id else None
    per_page = 20
    viewings = (
        service.viewers_of(session, subject.id, page=page_number(page), per_page=per_page)
        if subject
        else service.ViewingPage(0, 1, per_page, [])
    )
    return render(
        request,
        "me/viewers.html",
        {
            "subject": subject,
            "viewings": viewings,
            "pager": Pager.of(viewings.total, viewings.page, per_page),
            "years": service.retention_years(),
            "china": CHINA,
            "item_name": _item_names(),
        },
        private=True,
    )
