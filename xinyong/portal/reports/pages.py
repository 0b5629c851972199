"""Report pages (routers thin over ``reports.service``).

* ``/verify``: public 验真 by number and check code (what the QR code opens) or by PDF upload.
* ``/me/reports``: a subject downloads its own reports (free ones left this year), sees the
  register of its reports and grants or revokes third-party authorisations.
* ``/console/reports``: the window issues a report for a subject; the register; report uses.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.clock import today_china
from xinyong.core.deps import DbSession
from xinyong.core.errors import NotFound
from xinyong.core.paging import page_number
from xinyong.core.settings import get_settings
from xinyong.portal.account.pages import _form_token, form_page
from xinyong.portal.console.pages import AtDesk, ConsoleCall
from xinyong.portal.me.frame import AtMe, MeCall, Said, unbound
from xinyong.portal.me.service import MeSubject
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
    context = {"result": result, "number": number, "code": code, "error": error}
    if not principal.via_session:
        return form_page(request, "reports/verify.html", context, status_code)
    token = principal.csrf_token or _form_token(request)
    return render(request, "reports/verify.html", {**context, "csrf_token": token}, status_code, private=True)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request,
    session: DbSession,
    number: str = "",
    code: str = "",
    principal: Principal = Depends(current_principal),
) -> Response:
    number, code = number.strip()[:32], code.strip()[:16]
    result = service.verify_number(session, number, code) if number and code else None
    return _verify_page(request, principal, result=result, number=number, code=code)


@router.post("/verify", response_class=HTMLResponse)
def verify_upload(
    request: Request,
    session: DbSession,
    file: UploadFile | None = File(None),
    principal: Principal = Depends(current_principal),
) -> Response:
    if file is None or not file.filename:
        return _verify_page(request, principal, error=t("reports.verify.no_file"), status_code=422)
    limit = get_settings().max_upload_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        return _verify_page(request, principal, error="文件过大", status_code=413)
    return _verify_page(request, principal, result=service.verify_file(session, content))


# --- /me/reports -----------------------------------------------------------------------------


def _me_page(at: MeCall, said: Said = Said()) -> HTMLResponse:
    def build(me: MeSubject) -> dict[str, Any]:
        rules = service.Rules()
        return {
            "free": rules.issuing.free_per_year,
            "left": service.free_reports_left(at.session, me.subject.id, today_china(), rules),
            "fields": rules.fields.items,
            "reports": service.list_reports(at.session, subject_id=me.subject.id, per_page=50).items,
            "grants": service.list_for_subject(at.session, me.subject.id),
            "today": today_china(),
        }

    return at.page("reports/me.html", build, said)


@router.get("/me/reports", response_class=HTMLResponse)
def me_reports(at: AtMe, issued: str = "") -> Response:
    notice = None
    if issued:
        try:
            row = service.get_report(at.session, issued[:32])
            if row.subject_id == at.principal.subject_id:
                notice = t("reports.me.issued", number=row.number)
        except NotFound:
            notice = None
    return _me_page(at, Said(notice=notice))


@router.post("/me/reports", response_class=HTMLResponse)
def me_issue(
    at: AtMe, kind: str = Form("public", max_length=16), field: str = Form("", max_length=32)
) -> Response:
    subject_id = at.principal.subject_id
    if subject_id is None:
        return unbound(at.request)

    def act(_me: MeSubject) -> str:
        issued = service.issue_report(
            at.session, at.principal, subject_id, kind=kind, field=field or None, channel="portal"
        )
        return f"/me/reports?issued={issued.number}"

    return at.post(act, partial(_me_page, at))


@router.post("/me/reports/authorisations", response_class=HTMLResponse)
def me_grant(
    at: AtMe,
    grantee_department: str = Form("", max_length=64),
    grantee_username: str = Form("", max_length=120),
    kinds: list[str] = Form(default_factory=list),
    field: str = Form("", max_length=32),
    purpose_zh: str = Form("", max_length=200),
    expires_on: date | None = Form(None),
) -> Response:
    def act(_me: MeSubject) -> str:
        service.grant(
            at.session,
            at.principal,
            grantee_department=grantee_department,
            grantee_username=grantee_username,
            kinds=kinds,
            field=field or None,
            purpose_zh=purpose_zh,
            expires_on=expires_on or today_china(),
        )
        return "/me/reports#grants"

    return at.post(act, partial(_me_page, at))


@router.post("/me/reports/authorisations/{authorisation_id}/revoke", response_class=HTMLResponse)
def me_revoke(at: AtMe, authorisation_id: int = Path(..., ge=1, le=2**63 - 1)) -> Response:
    def act(_me: MeSubject) -> str:
        service.revoke(at.session, at.principal, authorisation_id)
        return "/me/reports#grants"

    return at.post(act, partial(_me_page, at))


# --- /console/reports ------------------------------------------------------------------------


def _console_page(
    at: ConsoleCall,
    *,
    page: int = 1,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    principal = at.principal
    # Staff see the whole register; a provider the reports its own department obtained.
    own = None if principal.role in ("credit_office", "admin") else (principal.organisation or "-")
    register = service.list_reports(at.session, page=page, per_page=50, organisation=own)
    names = {code: name for code, name, _ in service.matters()}
    uses = sorted(
        ((names.get(c, c), n) for c, n in service.use_counts(at.session).items()), key=lambda x: -x[1]
    )
    context = {
        "heading": t("reports.console.title"),
        "register": register,
        "fields": service.Rules().fields.items,
        "uses": uses,
        "notice": notice,
        "error": error,
        "may_issue": principal.role in service.WINDOW_ROLES,
    }
    return at.render("reports/console.html", context, status_code)


@router.get("/console/reports", response_class=HTMLResponse)
def console_reports(at: AtDesk, page: str | None = None, issued: str = "") -> HTMLResponse:
    notice = None
    if issued:
        try:
            row = service.get_report(at.session, issued[:32])
            notice = f"已出具 {row.kind_zh} {row.number}（{row.subject_name}）"
        except NotFound:
            notice = None
    return _console_page(at, page=page_number(page), notice=notice)


@router.post("/console/reports", response_class=HTMLResponse)
def console_issue(
    at: AtDesk,
    subject: str = Form("", max_length=64),
    kind: str = Form("public", max_length=16),
    field: str = Form("", max_length=32),
    period_from: date | None = Form(None),
    period_to: date | None = Form(None),
) -> Response:
    def act() -> str:
        issued = service.issue_report(
            at.session,
            at.principal,
            subject,
            kind=kind,
            field=field or None,
            period_from=period_from,
            period_to=period_to,
            channel="portal",
        )
        return f"/console/reports?issued={issued.number}"

    return at.post(act, partial(_console_page, at))
