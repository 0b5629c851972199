"""The subject's own objections and credit repairs (``/me/objections``, ``/me/repairs``): file,
follow (deadlines, steps, letters, lookup code) and withdraw, through the objections and repairs
services with the signed-in subject as the actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.casework.service import Actor
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError, NotFound
from xinyong.lists import service as lists_service
from xinyong.objections import service as objections_service
from xinyong.portal.me.pages import SECTIONS
from xinyong.portal.me.service import MeSubject, my_subject
from xinyong.portal.pages import not_found_page
from xinyong.portal.strings import t
from xinyong.portal.templating import render
from xinyong.records import service as records_service
from xinyong.repairs import service as repairs_service

router = APIRouter(include_in_schema=False)
_MAX_RECORDS = 200  # the newest records offered in the forms
_MAX_FILE = 10 * 1024 * 1024 + 1  # read at most this much of an upload (the ruleset's limit decides)


def _actor(principal: Principal, me: MeSubject) -> Actor:
    return Actor(principal.label, "subject", subject_id=me.subject.id)


def _records(session: Session, subject_id: int) -> list[Any]:
    return records_service.list_subject_records(
        session, subject_id, visibility="subject", per_page=_MAX_RECORDS
    ).items


def _render(
    request: Request, principal: Principal, template: str, ctx: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        template,
        {"sections": SECTIONS, "csrf_token": principal.csrf_token or "", **ctx},
        status_code,
        private=True,
    )


async def _files(request: Request) -> list[tuple[str, bytes]]:
    """The files of the form's ``files`` field (an empty file input sends a nameless part)."""
    out = []
    for f in (await request.form()).getlist("files"):
        if isinstance(f, StarletteUploadFile) and f.filename:
            content = await f.read(_MAX_FILE)
            if content:
                out.append((f.filename, content))
    return out


# --- objections -----------------------------------------------------------------------------------


def _objections_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        me = my_subject(session, principal)
    except NotFound:
        return not_found_page(request, t("me.unbound"))
    actor = _actor(principal, me)
    page = objections_service.list_objections(session, actor=actor, per_page=100)
    items = [objections_service.get_objection(session, o.id, actor=actor) for o in page.items]
    return _render(
        request,
        principal,
        "me/objections.html",
        {
            "me": me,
            "items": items,
            "records": _records(session, me.subject.id),
            "grounds": objections_service.grounds(),
            "notice": notice,
            "error": error,
            "form": form or {},
        },
        status_code,
    )


@router.get("/me/objections", response_class=HTMLResponse)
def me_objections(
    request: Request,
    code: str = "",
    record: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    notice = t("rights.filed", code=code[:20]) if code else None
    return _objections_page(request, session, principal, notice=notice, form={"record_id": record[:20]})


@router.post("/me/objections", response_class=HTMLResponse)
async def me_file_objection(
    request: Request,
    record_id: str = Form(""),
    ground: str = Form(""),
    statement: str = Form(""),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    form = {"record_id": record_id[:20], "ground": ground[:32], "statement": statement[:5000]}
    try:
        me = my_subject(session, principal)
        if not record_id.isdigit():
            raise NotFound("No record", "请选择有异议的信用记录", code="objections.record_not_found")
        view = objections_service.file_objection(
            session,
            record_id=int(record_id),
            ground=ground,
            statement=statement[:5000],
            actor=_actor(principal, me),
            attachments=await _files(request),
        )
    except DomainError as exc:
        session.rollback()
        return _objections_page(
            request, session, principal, error=exc.message_zh, form=form, status_code=exc.status_code
        )
    return RedirectResponse(f"/me/objections?code={view.lookup_code}#objection-{view.id}", status_code=303)


@router.post("/me/objections/{objection_id}/withdraw", response_class=HTMLResponse)
def me_withdraw_objection(
    request: Request,
    objection_id: str,
    text: str = Form(""),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if not objection_id.isdigit():
        return not_found_page(request)
    try:
        me = my_subject(session, principal)
        objections_service.take_step(
            session, int(objection_id), action="withdraw", text=text[:5000], actor=_actor(principal, me)
        )
    except DomainError as exc:
        session.rollback()
        return _objections_page(
            request, session, principal, error=exc.message_zh, status_code=exc.status_code
        )
    return RedirectResponse(f"/me/objections#objection-{objection_id}", status_code=303)


# --- repairs --------------------------------------------------------------------------------------


def _repairs_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    record: str = "",
    listing: str = "",
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        me = my_subject(session, principal)
    except NotFound:
        return not_found_page(request, t("me.unbound"))
    actor = _actor(principal, me)
    eligibility = None
    if record.isdigit() or listing.isdigit():
        try:
            eligibility = repairs_service.eligibility(
                session,
                actor=actor,
                record_id=int(record) if record.isdigit() else None,
                list_procedure_id=int(listing) if listing.isdigit() and not record.isdigit() else None,
            )
        except DomainError as exc:
            error = error or exc.message_zh
    page = repairs_service.list_repairs(session, actor=actor, per_page=100)
    items = [repairs_service.get_repair(session, r.id, actor=actor) for r in page.items]
    listings = [
        p
        for p in lists_service.subject_procedures(session, me.subject.id)
        if p.status in ("listed", "published") and p.list_kind != "red"
    ]
    negative = [r for r in _records(session, me.subject.id) if r.severity]
    return _render(
        request,
        principal,
        "me/repairs.html",
        {
            "me": me,
            "items": items,
            "records": negative,
            "listings": listings,
            "eligibility": eligibility,
            "record": record[:20],
            "listing": listing[:20],
            "notice": notice,
            "error": error,
            "form": form or {},
        },
        status_code,
    )


@router.get("/me/repairs", response_class=HTMLResponse)
def me_repairs(
    request: Request,
    record: str = "",
    listing: str = "",
    code: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    notice = t("rights.filed", code=code[:20]) if code else None
    return _repairs_page(request, session, principal, record=record, listing=listing, notice=notice)


@router.post("/me/repairs", response_class=HTMLResponse)
async def me_apply_repair(
    request: Request,
    record_id: str = Form(""),
    list_procedure_id: str = Form(""),
    statement: str = Form(""),
    materials: list[str] = Form([]),
    commitment: str = Form(""),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    form = {"statement": statement[:5000], "materials": materials[:20]}
    try:
        me = my_subject(session, principal)
        view = repairs_service.apply_for(
            session,
            actor=_actor(principal, me),
            record_id=int(record_id) if record_id.isdigit() else None,
            list_procedure_id=int(list_procedure_id) if list_procedure_id.isdigit() else None,
            statement=statement[:5000],
            commitment=commitment in ("1", "on"),
            materials=materials[:20],
            attachments=await _files(request),
        )
    except DomainError as exc:
        session.rollback()
        return _repairs_page(
            request,
            session,
            principal,
            record=record_id,
            listing=list_procedure_id,
            error=exc.message_zh,
            form=form,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/me/repairs?code={view.lookup_code}#repair-{view.id}", status_code=303)


@router.post("/me/repairs/{repair_id}/withdraw", response_class=HTMLResponse)
def me_withdraw_repair(
    request: Request,
    repair_id: str,
    text: str = Form(""),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if not repair_id.isdigit():
        return not_found_page(request)
    try:
        me = my_subject(session, principal)
        repairs_service.take_step(
            session, int(repair_id), action="withdraw", text=text[:5000], actor=_actor(principal, me)
        )
    except DomainError as exc:
        session.rollback()
        return _repairs_page(request, session, principal, error=exc.message_zh, status_code=exc.status_code)
    return RedirectResponse(f"/me/repairs#repair-{repair_id}", status_code=303)
