"""Console pages of commitments and self-declarations (``/console/commitments``,
``/console/declarations``): the open cases of the caller's department (staff: every department),
the overdue queue, and the verification forms. The domains' services decide who may act."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.commitments import service as commitments
from xinyong.core.errors import DomainError
from xinyong.declarations import service as declarations
from xinyong.portal.console.desk import Desk
from xinyong.portal.console.pages import CurrentPrincipal, DbSession, _desk, _render

router = APIRouter(include_in_schema=False)
STATUS_FILTERS = ("open", "all")


def _commitment_actor(desk: Desk) -> commitments.Actor:
    return commitments.Actor(desk.label, desk.role, provider_code=desk.provider_code)


def _declaration_actor(desk: Desk) -> declarations.Actor:
    return declarations.Actor(desk.label, desk.role, provider_code=desk.provider_code)


def _commitments_page(
    request: Request,
    session: DbSession,
    desk: Desk,
    show: str,
    *,
    error: str | None = None,
    error_id: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = _commitment_actor(desk)
    page = commitments.list_commitments(session, actor=actor, per_page=200)
    items = [c for c in page.items if show == "all" or c.status in commitments.OPEN]
    return _render(
        request,
        desk,
        "console/commitments.html",
        {
            "items": items,
            "overdue": commitments.overdue_queue(session, actor=actor),
            "show": show,
            "error": error,
            "error_id": error_id,
        },
        status_code,
    )


@router.get("/console/commitments", response_class=HTMLResponse)
def console_commitments(
    request: Request, principal: CurrentPrincipal, session: DbSession, show: str = "open"
) -> HTMLResponse:
    return _commitments_page(
        request, session, _desk(session, principal), show if show in STATUS_FILTERS else "open"
    )


@router.post("/console/commitments/{commitment_id}/verify", response_class=HTMLResponse)
def console_verify_commitment(
    request: Request,
    commitment_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    outcome: str = Form(""),
    text: str = Form(""),
) -> Response:
    desk = _desk(session, principal)
    if not commitment_id.isdigit():
        return _commitments_page(request, session, desk, "open", status_code=404)
    cid = int(commitment_id)
    try:
        commitments.take_step(
            session,
            cid,
            actor=_commitment_actor(desk),
            action="verify",
            outcome=outcome or None,
            text=text[:4000],
        )
    except DomainError as exc:
        session.rollback()
        return _commitments_page(
            request, session, desk, "open", error=exc.message_zh, error_id=cid, status_code=exc.status_code
        )
    commitments.settle(session)
    return RedirectResponse(f"/console/commitments?show=all#commitment-{cid}", status_code=303)


def _declarations_page(
    request: Request,
    session: DbSession,
    desk: Desk,
    show: str,
    *,
    error: str | None = None,
    error_id: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = _declaration_actor(desk)
    page = declarations.list_declarations(session, actor=actor, per_page=200)
    items = [
        declarations.get_declaration(session, d.id, actor=actor)
        for d in page.items
        if show == "all" or d.status == "filed"
    ]
    return _render(
        request,
        desk,
        "console/declarations.html",
        {
            "items": items,
            "overdue": declarations.overdue_queue(session, actor=actor),
            "show": show,
            "error": error,
            "error_id": error_id,
        },
        status_code,
    )


@router.get("/console/declarations", response_class=HTMLResponse)
def console_declarations(
    request: Request, principal: CurrentPrincipal, session: DbSession, show: str = "open"
) -> HTMLResponse:
    return _declarations_page(
        request, session, _desk(session, principal), show if show in STATUS_FILTERS else "open"
    )


@router.post("/console/declarations/{declaration_id}/step", response_class=HTMLResponse)
def console_declaration_step(
    request: Request,
    declaration_id: str,
    principal: CurrentPrincipal,
    session: DbSession,
    action: str = Form(""),
    text: str = Form(""),
) -> Response:
    desk = _desk(session, principal)
    if not declaration_id.isdigit():
        return _declarations_page(request, session, desk, "open", status_code=404)
    did = int(declaration_id)
    try:
        declarations.take_step(session, did, actor=_declaration_actor(desk), action=action, text=text[:4000])
    except DomainError as exc:
        session.rollback()
        return _declarations_page(
            request, session, desk, "open", error=exc.message_zh, error_id=did, status_code=exc.status_code
        )
    declarations.settle(session)
    return RedirectResponse(f"/console/declarations?show=all#declaration-{did}", status_code=303)
