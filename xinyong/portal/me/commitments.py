"""The subject's commitments and self-declarations in /me (``/me/commitments``,
``/me/declarations``): sign a commitment from the ruleset's templates (the logged-in identity and
the time are recorded), supply the 容缺 materials, declare with proof; the domains' services do
the work. Forms carry the session's CSRF token."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.commitments import service as commitments
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError, InvalidInput, NotFound
from xinyong.declarations import service as declarations
from xinyong.ingest import service as ingest_service
from xinyong.portal.me.pages import SECTIONS, _unbound
from xinyong.portal.me.service import MeSubject, my_subject
from xinyong.portal.strings import t
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)
MAX_FILES = 5


def _page(
    request: Request,
    principal: Principal,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    ctx = {"sections": SECTIONS, "csrf_token": principal.csrf_token or "", **context}
    return render(request, template, ctx, status_code, private=True)


def _departments(session: Session) -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in ingest_service.list_providers(session) if p.active]


async def _files(uploads: list[UploadFile]) -> list[tuple[str, bytes | str]]:
    out: list[tuple[str, bytes | str]] = []
    for f in uploads[:MAX_FILES]:
        data = await f.read()
        if data:
            out.append((f.filename or "附件", data))
    return out


# --- commitments -----------------------------------------------------------------------------------


def _commitments_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    error_id: int | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        me: MeSubject = my_subject(session, principal)
    except NotFound:
        return _unbound(request)
    view = commitments.subject_commitments(session, me.subject.id)
    full = {c.id: commitments.get_commitment(session, c.id) for c in view.signed}
    return _page(
        request,
        principal,
        "me/commitments.html",
        {
            "me": me,
            "view": view,
            "full": full,
            "templates": commitments.templates(),
            "departments": _departments(session),
            "notice": notice,
            "error": error,
            "error_id": error_id,
            "form": form or {},
        },
        status_code,
    )


def _actor(principal: Principal, me: MeSubject) -> commitments.Actor:
    return commitments.Actor(principal.label, "subject", subject_id=me.subject.id)


@router.get("/me/commitments", response_class=HTMLResponse)
def me_commitments(
    request: Request,
    done: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    notice = {"signed": t("me.commitments.signed"), "supplied": t("me.commitments.supplied")}.get(done)
    return _commitments_page(request, session, principal, notice=notice)


@router.post("/me/commitments", response_class=HTMLResponse)
def me_sign(
    request: Request,
    commitment_type: str = Form(""),
    matter: str = Form(""),
    department_code: str = Form(""),
    agree: str = Form(""),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    form = {"commitment_type": commitment_type, "matter": matter[:200], "department_code": department_code}
    try:
        me = my_subject(session, principal)
        if agree not in ("1", "on"):
            raise InvalidInput(
                "Read and agree to the commitment first",
                "请阅读承诺书全文并勾选“本人已阅读并同意作出上述承诺”",
                code="me.commitments.agree_required",
                field="agree",
            )
        view = commitments.sign(
            session,
            actor=commitments.Actor(principal.label, "subject", subject_id=me.subject.id),
            commitment_type=commitment_type,
            matter=matter[:200],
            department_code=department_code,
        )
    except DomainError as exc:
        session.rollback()
        return _commitments_page(
            request, session, principal, error=exc.message_zh, form=form, status_code=exc.status_code
        )
    commitments.settle(session)
    return RedirectResponse(f"/me/commitments?done=signed#commitment-{view.id}", status_code=303)


@router.post("/me/commitments/{commitment_id}/supply", response_class=HTMLResponse)
async def me_supply(
    request: Request,
    commitment_id: str,
    text: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if not commitment_id.isdigit():
        return _unbound(request)
    cid = int(commitment_id)
    try:
        me = my_subject(session, principal)
        commitments.take_step(
            session,
            cid,
            actor=_actor(principal, me),
            action="supply",
            text=text[:4000],
            attachments=await _files(files),
        )
    except DomainError as exc:
        session.rollback()
        return _commitments_page(
            request, session, principal, error=exc.message_zh, error_id=cid, status_code=exc.status_code
        )
    commitments.settle(session)
    return RedirectResponse(f"/me/commitments?done=supplied#commitment-{cid}", status_code=303)


# --- declarations ----------------------------------------------------------------------------------


def _declarations_page(
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
        return _unbound(request)
    actor = declarations.Actor(principal.label, "subject", subject_id=me.subject.id)
    page = declarations.list_declarations(session, actor=actor, per_page=200)
    full = [declarations.get_declaration(session, d.id, actor=actor) for d in page.items]
    return _page(
        request,
        principal,
        "me/declarations.html",
        {
            "me": me,
            "items": full,
            "kinds": declarations.kinds(),
            "departments": _departments(session),
            "notice": notice,
            "error": error,
            "form": form or {},
        },
        status_code,
    )


@router.get("/me/declarations", response_class=HTMLResponse)
def me_declarations(
    request: Request,
    done: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    notice = t("me.declarations.filed") if done == "filed" else None
    return _declarations_page(request, session, principal, notice=notice)


@router.post("/me/declarations", response_class=HTMLResponse)
async def me_declare(
    request: Request,
    declaration_type: str = Form(""),
    title: str = Form(""),
    content: str = Form(""),
    valid_until: str = Form(""),
    department_code: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    form = {
        "declaration_type": declaration_type,
        "title": title[:200],
        "content": content[:4000],
        "valid_until": valid_until,
        "department_code": department_code,
    }
    try:
        me = my_subject(session, principal)
        until = _form_date(valid_until)
        view = declarations.file_declaration(
            session,
            actor=declarations.Actor(principal.label, "subject", subject_id=me.subject.id),
            declaration_type=declaration_type,
            title=title[:200],
            content=content[:4000],
            valid_until=until,
            department_code=department_code,
            attachments=await _files(files),
        )
    except DomainError as exc:
        session.rollback()
        return _declarations_page(
            request, session, principal, error=exc.message_zh, form=form, status_code=exc.status_code
        )
    declarations.settle(session)
    return RedirectResponse(f"/me/declarations?done=filed#declaration-{view.id}", status_code=303)


def _form_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "valid_until is YYYY-MM-DD",
            "有效期至的格式应为 年-月-日（如 2027-12-31）",
            code="me.bad_date",
            field="valid_until",
            value=value[:20],
        ) from None
