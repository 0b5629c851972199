"""Subject self-service pages (``/me``), for a signed-in subject account (the access policy lets
no other role in). Server-rendered in the portal frame; forms carry the session's CSRF token."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from xinyong.core.paging import page_number
from xinyong.core.params import db_id
from xinyong.portal.me import service
from xinyong.portal.me.frame import AtMe, MeCall, Said
from xinyong.portal.pages import not_found_page
from xinyong.portal.strings import t

router = APIRouter(include_in_schema=False)


@router.get("/me", response_class=HTMLResponse)
def me_overview(at: AtMe) -> HTMLResponse:
    return at.view("me/overview.html", lambda: service.overview(at.session, at.principal))


@router.get("/me/records", response_class=HTMLResponse)
def me_records(at: AtMe, page: str | None = None, category: str = "") -> HTMLResponse:
    return at.view(
        "me/records.html",
        lambda: service.my_file(at.session, at.principal, page=page_number(page), category=category),
    )


@router.get("/me/grade", response_class=HTMLResponse)
def me_grade(at: AtMe) -> HTMLResponse:
    return at.view("me/grade.html", lambda: service.my_grade(at.session, at.principal))


def _lists_page(at: MeCall, said: Said = Said()) -> HTMLResponse:
    return at.view(
        "me/lists.html",
        lambda: service.my_procedures(at.session, at.principal),
        {
            "csrf_token": at.principal.csrf_token or "",
            "notice": said.notice,
            "error": said.error,
            "error_procedure": said.error_id,
            "text": said.form.get("text", ""),
        },
        said.status_code,
    )


@router.get("/me/lists", response_class=HTMLResponse)
def me_lists(at: AtMe, done: str = "") -> HTMLResponse:
    notice = t("me.lists.statement_filed") if done == "statement" else None
    return _lists_page(at, Said(notice=notice))


@router.post("/me/lists/{procedure_id}/statement", response_class=HTMLResponse)
def me_statement(at: AtMe, procedure_id: str, text: str = Form(""), hearing: str = Form("")) -> Response:
    if db_id(procedure_id) is None:
        return not_found_page(at.request)
    pid = int(procedure_id)

    def act(_me: service.MeSubject) -> str:
        service.file_statement(
            at.session, at.principal, pid, text[:5000], hearing_requested=hearing in ("1", "on")
        )
        return f"/me/lists?done=statement#procedure-{procedure_id}"

    return at.post(act, partial(_lists_page, at), form={"text": text[:5000]}, error_id=pid)
