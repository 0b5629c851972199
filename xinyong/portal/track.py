"""办理进度查询 (``/objections/track``): an objection or repair followed by its lookup code,
without login. Shows progress only (status, deadlines, steps, letters), never the statement
or the attachments."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from xinyong.core.deps import get_session
from xinyong.objections import service as objections_service
from xinyong.portal.templating import render
from xinyong.repairs import service as repairs_service

router = APIRouter(include_in_schema=False)


@router.get("/objections/track", response_class=HTMLResponse)
def track_page(
    request: Request, code: str = "", session: Session = Depends(get_session, scope="function")
) -> HTMLResponse:
    code = code.strip()[:40]
    found = None
    if code:
        found = objections_service.track(session, code) or repairs_service.track(session, code)
    status = 404 if code and found is None else 200
    # A code is a secret of its applicant: the page is never cached.
    return render(request, "track.html", {"code": code, "found": found}, status, private=True)
