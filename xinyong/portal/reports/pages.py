"""Report pages (routers thin over ``reports.service``).

* ``/verify``: public 验真 by number and check code (what the QR code opens) or by PDF upload.
* ``/me/reports``: a subject downloads its own reports (free ones left this year), sees the
  register of its reports and grants or revokes third-party authorisations.
* ``/console/reports``: the window issues a report for a subject; the register; report uses.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.clock import today_china
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError, NotFound
from xinyong.core.paging import page_number
from xinyong.core.settings import get_settings
from xinyong.portal.account.pages import _form_token, _with_form_cookie
from xinyong.portal.console import pages as console_pages
from xinyong.portal.me import service as me_service
from xinyong.portal.me.pages import SECTIONS as ME_SECTIONS
from xinyong.portal.pages import not_found_page
from xinyong.portal.strings import t
from xinyong.portal.templating import render
from xinyong.reports import service

router = APIRouter(include_in_schema=False)


# --- /verify ---------------------------------------------------------------------------------


def _verify_page(
    request: Request,
    principal: Principal,
    *,
    result: service.Verification | None = None,
    number: str = "",
    code: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = principal.csrf_token if principal.via_session and principal.csrf_token else _form_token(request)
    response = render(
        request,
        "reports/verify.html",
        {"result": result, "number": number, "code": code, "error": error, "csrf_token": token},
        status_code,
        private=True,
    )
    return response if principal.via_session else _with_form_cookie(request, response, token)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request,
    number: str = "",
    code: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    number, code = number.strip()[:32], code.strip()[:16]
    result = service.verify_number(session, number, code) if number and code else None
    return _verify_page(request, principal, result=result, number=number, code=code)


@router.post("/verify", response_class=HTMLResponse)
def verify_upload(
    request: Request,
    file: UploadFile | None = File(None),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if file is None or not file.filename:
        return _verify_page(request, principal, error=t("reports.verify.no_file"), status_code=422)
    limit = get_settings().max_upload_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        return _verify_page(request, principal, error="文件过大", status_code=413)
    return _verify_page(request, principal, result=service.verify_file(session, content))


# --- /me/reports -----------------------------------------------------------------------------


def _me_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        me = me_service.my_subject(session, principal)
    except NotFound:
        return not_found_page(request, t("me.unbound"))
    rules = service.Rules()
    context = {
        "sections": ME_SECTIONS,
        "me": me,
        "csrf_token": principal.csrf_token or "",
        "free": rules.issuing.free_per_year,
        "left": service.free_reports_left(session, me.subject.id, today_china(), rules),
        "fields": rules.fields.items,
        "reports": service.list_reports(session, subject_id=me.subject.id, per_page=50).items,
        "grants": service.list_for_subject(session, me.subject.id),
        "notice": notice,
        "error": error,
        "today": today_china(),
    }
    return render(request, "reports/me.html", context, status_code, private=True)


@router.get("/me/reports", response_class=HTMLResponse)
def me_reports(
    request: Request,
    issued: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    notice = None
    if issued:
        try:
            row = service.get_report(session, issued[:32])
            if row.subject_id == principal.subject_id:
                notice = t("reports.me.issued", number=row.number)
        except NotFound:
            notice = None
    return _me_page(request, session, principal, notice=notice)


@router.post("/me/reports", response_class=HTMLResponse)
def me_issue(
    request: Request,
    kind: str = Form("public", max_length=16),
    field: str = Form("", max_length=32),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    if principal.subject_id is None:
        return not_found_page(request, t("me.unbound"))
    try:
        issued = service.issue_report(
            session, principal, principal.subject_id, kind=kind, field=field or None, channel="portal"
        )
    except DomainError as exc:
        session.rollback()
        return _me_page(request, session, principal, error=exc.message_zh, status_code=exc.status_code)
    return RedirectResponse(f"/me/reports?issued={issued.number}", status_code=303)


@router.post("/me/reports/authorisations", response_class=HTMLResponse)
def me_grant(
    request: Request,
    grantee_department: str = Form("", max_length=64),
    grantee_username: str = Form("", max_length=120),
    kinds: list[str] = Form(default_factory=list),
    field: str = Form("", max_length=32),
    purpose_zh: str = Form("", max_length=200),
    expires_on: date | None = Form(None),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    try:
        service.grant(
            session,
            principal,
            grantee_department=grantee_department,
            grantee_username=grantee_username,
            kinds=kinds,
            field=field or None,
            purpose_zh=purpose_zh,
            expires_on=expires_on or today_china(),
        )
    except DomainError as exc:
        session.rollback()
        return _me_page(request, session, principal, error=exc.message_zh, status_code=exc.status_code)
    return RedirectResponse("/me/reports#grants", status_code=303)


@router.post("/me/reports/authorisations/{authorisation_id}/revoke", response_class=HTMLResponse)
def me_revoke(
    request: Request,
    authorisation_id: int = Path(..., ge=1, le=2**63 - 1),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    try:
        service.revoke(session, principal, authorisation_id)
    except DomainError as exc:
        session.rollback()
        return _me_page(request, session, principal, error=exc.message_zh, status_code=exc.status_code)
    return RedirectResponse("/me/reports#grants", status_code=303)


# --- /console/reports ------------------------------------------------------------------------


def _console_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    page: int = 1,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    desk = console_pages._desk(session, principal)
    # Staff see the whole register; a provider the reports its own department obtained.
    own = None if principal.role in ("credit_office", "admin") else (principal.organisation or "-")
    register = service.list_reports(session, page=page, per_page=50, organisation=own)
    names = {code: name for code, name, _ in service.matters()}
    uses = sorted(((names.get(c, c), n) for c, n in service.use_counts(session).items()), key=lambda x: -x[1])
    context = {
        "heading": t("reports.console.title"),
        "register": register,
        "fields": service.Rules().fields.items,
        "uses": uses,
        "notice": notice,
        "error": error,
        "may_issue": principal.role in service.WINDOW_ROLES,
    }
    return console_pages._render(request, desk, "reports/console.html", context, status_code)


@router.get("/console/reports", response_class=HTMLResponse)
def console_reports(
    request: Request,
    page: str | None = None,
    issued: str = "",
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    notice = None
    if issued:
        try:
            row = service.get_report(session, issued[:32])
            notice = f"已出具 {row.kind_zh} {row.number}（{row.subject_name}）"
        except NotFound:
            notice = None
    return _console_page(request, session, principal, page=page_number(page), notice=notice)


@router.post("/console/reports", response_class=HTMLResponse)
def console_issue(
    request: Request,
    subject: str = Form("", max_length=64),
    kind: str = Form("public", max_length=16),
    field: str = Form("", max_length=32),
    period_from: date | None = Form(None),
    period_to: date | None = Form(None),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    try:
        issued = service.issue_report(
            session,
            principal,
            subject,
            kind=kind,
            field=field or None,
            period_from=period_from,
            period_to=period_to,
            channel="portal",
        )
    except DomainError as exc:
        session.rollback()
        return _console_page(request, session, principal, error=exc.message_zh, status_code=exc.status_code)
    return RedirectResponse(f"/console/reports?issued={issued.number}", status_code=303)
