"""The subject's own objections and credit repairs (``/me/objections``, ``/me/repairs``): file,
follow (deadlines, steps, letters, lookup code) and withdraw, through the objections and repairs
services with the signed-in subject as the actor."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from xinyong.core.errors import DomainError, NotFound
from xinyong.lists import service as lists_service
from xinyong.objections import service as objections_service
from xinyong.portal.me.frame import AtMe, MeCall, Said
from xinyong.portal.me.service import MeSubject, subject_actor
from xinyong.portal.pages import not_found_page
from xinyong.portal.strings import t
from xinyong.records import service as records_service
from xinyong.repairs import service as repairs_service

router = APIRouter(include_in_schema=False)
_MAX_RECORDS = 200  # the newest records offered in the forms
_MAX_FILE = 10 * 1024 * 1024 + 1  # read at most this much of an upload (the ruleset's limit decides)


def _records(session: Session, subject_id: int) -> list[Any]:
    return records_service.list_subject_records(
        session, subject_id, visibility="subject", per_page=_MAX_RECORDS
    ).items


async def _files(request: Request) -> list[tuple[str, bytes]]:
    """The files of the form's ``files`` field (an empty file input sends a nameless part)."""
    out = []
    for f in (await request.form()).getlist("files"):
        if isinstance(f, StarletteUploadFile) and f.filename:
            content = await f.read(_MAX_FILE)
            if content:
                out.append((f.filename, content))
    return out


def _withdraw(
    at: MeCall,
    case_id: str,
    text: str,
    take_step: Callable[..., Any],
    page: Callable[[Said], HTMLResponse],
    shown_at: str,
) -> Response:
    """The subject withdraws its own case; next, the case's section (``{shown_at}-{id}``)."""
    if not case_id.isdigit():
        return not_found_page(at.request)

    def act(me: MeSubject) -> str:
        take_step(
            at.session,
            int(case_id),
            action="withdraw",
            text=text[:5000],
            actor=subject_actor(at.principal, me),
        )
        return f"{shown_at}-{case_id}"

    return at.post(act, page)


# --- objections -----------------------------------------------------------------------------------


def _objections_page(at: MeCall, said: Said = Said()) -> HTMLResponse:
    def build(me: MeSubject) -> dict[str, Any]:
        actor = subject_actor(at.principal, me)
        page = objections_service.list_objections(at.session, actor=actor, per_page=100)
        return {
            "items": [objections_service.get_objection(at.session, o.id, actor=actor) for o in page.items],
            "records": _records(at.session, me.subject.id),
            "grounds": objections_service.grounds(),
        }

    return at.page("me/objections.html", build, said)


@router.get("/me/objections", response_class=HTMLResponse)
def me_objections(at: AtMe, code: str = "", record: str = "") -> HTMLResponse:
    notice = t("rights.filed", code=code[:20]) if code else None
    return _objections_page(at, Said(notice=notice, form={"record_id": record[:20]}))


@router.post("/me/objections", response_class=HTMLResponse)
async def me_file_objection(
    at: AtMe, record_id: str = Form(""), ground: str = Form(""), statement: str = Form("")
) -> Response:
    files = await _files(at.request)

    def act(me: MeSubject) -> str:
        if not record_id.isdigit():
            raise NotFound("No record", "请选择有异议的信用记录", code="objections.record_not_found")
        view = objections_service.file_objection(
            at.session,
            record_id=int(record_id),
            ground=ground,
            statement=statement[:5000],
            actor=subject_actor(at.principal, me),
            attachments=files,
        )
        return f"/me/objections?code={view.lookup_code}#objection-{view.id}"

    form = {"record_id": record_id[:20], "ground": ground[:32], "statement": statement[:5000]}
    return at.post(act, partial(_objections_page, at), form=form)


@router.post("/me/objections/{objection_id}/withdraw", response_class=HTMLResponse)
def me_withdraw_objection(at: AtMe, objection_id: str, text: str = Form("")) -> Response:
    page = partial(_objections_page, at)
    return _withdraw(at, objection_id, text, objections_service.take_step, page, "/me/objections#objection")


# --- repairs --------------------------------------------------------------------------------------


def _repairs_page(at: MeCall, said: Said = Said(), *, record: str = "", listing: str = "") -> HTMLResponse:
    def build(me: MeSubject) -> dict[str, Any]:
        actor = subject_actor(at.principal, me)
        eligibility = None
        error = said.error
        if record.isdigit() or listing.isdigit():
            try:
                eligibility = repairs_service.eligibility(
                    at.session,
                    actor=actor,
                    record_id=int(record) if record.isdigit() else None,
                    list_procedure_id=int(listing) if listing.isdigit() and not record.isdigit() else None,
                )
            except DomainError as exc:
                error = error or exc.message_zh
        page = repairs_service.list_repairs(at.session, actor=actor, per_page=100)
        listings = [
            p
            for p in lists_service.subject_procedures(at.session, me.subject.id)
            if p.status in ("listed", "published") and p.list_kind != "red"
        ]
        return {
            "items": [repairs_service.get_repair(at.session, r.id, actor=actor) for r in page.items],
            "records": [r for r in _records(at.session, me.subject.id) if r.severity],
            "listings": listings,
            "eligibility": eligibility,
            "record": record[:20],
            "listing": listing[:20],
            "error": error,
        }

    return at.page("me/repairs.html", build, said)


@router.get("/me/repairs", response_class=HTMLResponse)
def me_repairs(at: AtMe, record: str = "", listing: str = "", code: str = "") -> HTMLResponse:
    notice = t("rights.filed", code=code[:20]) if code else None
    return _repairs_page(at, Said(notice=notice), record=record, listing=listing)


@router.post("/me/repairs", response_class=HTMLResponse)
async def me_apply_repair(
    at: AtMe,
    record_id: str = Form(""),
    list_procedure_id: str = Form(""),
    statement: str = Form(""),
    materials: list[str] = Form([]),
    commitment: str = Form(""),
) -> Response:
    files = await _files(at.request)

    def act(me: MeSubject) -> str:
        view = repairs_service.apply_for(
            at.session,
            actor=subject_actor(at.principal, me),
            record_id=int(record_id) if record_id.isdigit() else None,
            list_procedure_id=int(list_procedure_id) if list_procedure_id.isdigit() else None,
            statement=statement[:5000],
            commitment=commitment in ("1", "on"),
            materials=materials[:20],
            attachments=files,
        )
        return f"/me/repairs?code={view.lookup_code}#repair-{view.id}"

    page = partial(_repairs_page, at, record=record_id, listing=list_procedure_id)
    return at.post(act, page, form={"statement": statement[:5000], "materials": materials[:20]})


@router.post("/me/repairs/{repair_id}/withdraw", response_class=HTMLResponse)
def me_withdraw_repair(at: AtMe, repair_id: str, text: str = Form("")) -> Response:
    page = partial(_repairs_page, at)
    return _withdraw(at, repair_id, text, repairs_service.take_step, page, "/me/repairs#repair")
