"""The staff console's objection and repair desks (``/console/objections``,
``/console/repairs``): the overdue queue (escalated steps marked), the cases, one case's page and
its steps, through the objections and repairs services (a provider sees and acts on its own
department's cases; the credit office on all)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.casework.service import Actor
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError, InvalidInput
from xinyong.objections import service as objections_service
from xinyong.portal.console.desk import Desk, desk_of
from xinyong.portal.console.pages import SECTIONS
from xinyong.portal.pages import not_found_page
from xinyong.portal.templating import render
from xinyong.repairs import service as repairs_service

router = APIRouter(include_in_schema=False)

# The actions a case offers in its state (the services check who may take them).
_OBJECTION_ACTIONS = {
    "filed": ["compare", "decide", "withdraw"],
    "referred": ["reply", "extend", "decide", "withdraw"],
    "correcting": ["decide", "withdraw"],
}
_REPAIR_ACTIONS = {"filed": ["accept", "reject", "withdraw"], "accepted": ["decide", "extend", "withdraw"]}


def _actor(desk: Desk) -> Actor:
    return Actor(desk.label, desk.role, provider_code=desk.provider_code)


def _render(
    request: Request,
    desk: Desk,
    principal: Principal,
    template: str,
    ctx: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    def shown(who: str) -> bool:
        return who == "all" or (who == "staff" and desk.is_staff) or (who == "provider" and desk.is_provider)

    return render(
        request,
        template,
        {
            "desk": desk,
            "sections": [(href, key) for href, key, who in SECTIONS if shown(who)],
            "csrf_token": principal.csrf_token or "",
            **ctx,
        },
        status_code,
        private=True,
    )


def _message(request: Request, desk: Desk, principal: Principal, exc: DomainError) -> HTMLResponse:
    return _render(
        request, desk, principal, "console/message.html", {"message": exc.message_zh}, exc.status_code
    )


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value[:5000] if isinstance(value, str) else ""


# --- objections -----------------------------------------------------------------------------------


@router.get("/console/objections", response_class=HTMLResponse)
def objections_desk(
    request: Request,
    status: str = "open",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    desk = desk_of(session, principal)
    actor = _actor(desk)
    return _render(
        request,
        desk,
        principal,
        "console/objections.html",
        {
            "heading": "异议办理",
            "queue": objections_service.queue(session, actor=actor),
            "page": objections_service.list_objections(
                session, actor=actor, status=status[:16] or None, per_page=100
            ),
            "status": status[:16],
            "statuses": objections_service.STATUS_ZH,
            "grounds": objections_service.grounds(),
            "schedules": objections_service.schedules(),
        },
    )


@router.get("/console/objections/{objection_id}", response_class=HTMLResponse)
def objection_page(
    request: Request,
    objection_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    if not objection_id.isdigit():
        return not_found_page(request)
    desk = desk_of(session, principal)
    try:
        view = objections_service.get_objection(session, int(objection_id), actor=_actor(desk))
    except DomainError as exc:
        return _message(request, desk, principal, exc)
    return _render(
        request,
        desk,
        principal,
        "console/objection.html",
        {"heading": f"异议 #{view.id}", "o": view, "actions": _OBJECTION_ACTIONS.get(view.status, [])},
    )


@router.post("/console/objections/{objection_id}/step", response_class=HTMLResponse)
async def objection_step(
    request: Request,
    objection_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if not objection_id.isdigit():
        return not_found_page(request)
    desk = desk_of(session, principal)
    form = await request.form()
    corrections: dict[str, str] = {}
    for line in _form_text(form, "corrections").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            corrections[key.strip()] = value.strip()
    try:
        objections_service.take_step(
            session,
            int(objection_id),
            action=_form_text(form, "action"),
            actor=_actor(desk),
            result=_form_text(form, "result") or None,
            outcome=_form_text(form, "outcome") or None,
            text=_form_text(form, "text"),
            corrections=corrections,
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, desk, principal, exc)
    return RedirectResponse(f"/console/objections/{objection_id}", status_code=303)


@router.post("/console/objections", response_class=HTMLResponse)
async def objection_window(
    request: Request,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """窗口代为录入: the credit office files a written objection received at its window."""
    desk = desk_of(session, principal)
    form = await request.form()
    record = _form_text(form, "record_id").strip()
    try:
        view = objections_service.file_objection(
            session,
            record_id=int(record) if record.isdigit() else 0,
            ground=_form_text(form, "ground"),
            statement=_form_text(form, "statement"),
            actor=_actor(desk),
            received_on=_day(_form_text(form, "received_on")),
            applicant_name=_form_text(form, "applicant_name") or None,
            schedule=_form_text(form, "schedule") or None,
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, desk, principal, exc)
    return RedirectResponse(f"/console/objections/{view.id}", status_code=303)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise InvalidInput(
            f"Not a date: {text!r}",
            f"收件日期格式应为 YYYY-MM-DD：{text}",
            code="portal.bad_date",
            field="received_on",
            value=text,
        ) from None


# --- repairs --------------------------------------------------------------------------------------


@router.get("/console/repairs", response_class=HTMLResponse)
def repairs_desk(
    request: Request,
    status: str = "open",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    desk = desk_of(session, principal)
    actor = _actor(desk)
    return _render(
        request,
        desk,
        principal,
        "console/repairs.html",
        {
            "heading": "信用修复办理",
            "queue": repairs_service.queue(session, actor=actor),
            "page": repairs_service.list_repairs(
                session, actor=actor, status=status[:16] or None, per_page=100
            ),
            "status": status[:16],
            "statuses": repairs_service.STATUS_ZH,
            "materials": [
                (m.code, m.name_zh)
                for m in repairs_service.get_repair_rules().materials
                if m.code != "commitment"
            ],
        },
    )


@router.post("/console/repairs", response_class=HTMLResponse)
async def repair_window(
    request: Request,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """一口受理: the intake window records a written repair application (the commitment signed on paper)."""
    desk = desk_of(session, principal)
    form = await request.form()
    record = _form_text(form, "record_id").strip()
    try:
        view = repairs_service.apply_for(
            session,
            actor=_actor(desk),
            record_id=int(record) if record.isdigit() else 0,
            statement=_form_text(form, "statement"),
            commitment=_form_text(form, "commitment") in ("1", "on"),
            materials=[m for m in form.getlist("materials") if isinstance(m, str)][:20],
            received_on=_day(_form_text(form, "received_on")),
            applicant_name=_form_text(form, "applicant_name") or None,
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, desk, principal, exc)
    return RedirectResponse(f"/console/repairs/{view.id}", status_code=303)


@router.get("/console/repairs/{repair_id}", response_class=HTMLResponse)
def repair_page(
    request: Request,
    repair_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    if not repair_id.isdigit():
        return not_found_page(request)
    desk = desk_of(session, principal)
    try:
        view = repairs_service.get_repair(session, int(repair_id), actor=_actor(desk))
    except DomainError as exc:
        return _message(request, desk, principal, exc)
    return _render(
        request,
        desk,
        principal,
        "console/repair.html",
        {"heading": f"信用修复 #{view.id}", "r": view, "actions": _REPAIR_ACTIONS.get(view.status, [])},
    )


@router.post("/console/repairs/{repair_id}/step", response_class=HTMLResponse)
async def repair_step(
    request: Request,
    repair_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if not repair_id.isdigit():
        return not_found_page(request)
    desk = desk_of(session, principal)
    form = await request.form()
    try:
        repairs_service.take_step(
            session,
            int(repair_id),
            action=_form_text(form, "action"),
            actor=_actor(desk),
            outcome=_form_text(form, "outcome") or None,
            text=_form_text(form, "text"),
        )
    except DomainError as exc:
        session.rollback()
        return _message(request, desk, principal, exc)
    return RedirectResponse(f"/console/repairs/{repair_id}", status_code=303)
