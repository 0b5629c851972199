"""The staff queue of list procedures (``/lists/queue``): procedures waiting for a step, with
their working-day deadlines, overdue ones highlighted (a provider sees its own department's).
Server-rendered in the portal's frame."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from xinyong.accounts.deps import actor_of, current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.lists import service
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)


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
        "console/lists_queue.html",
        {
            "items": items,
            "only_overdue": only,
            "overdue_count": overdue_count,
            "today": service.today_china(),
        },
        private=True,
    )
