"""HTTP API of the reports domain (thin: it calls the service).

* ``POST /reports``: issue a report (who gets which: ``reports.issue``); number + download URL.
* ``GET /reports/{number}.pdf``: the signed file again (subject, window staff, the requester).
* ``GET /reports/{number}/verification?code=``: 验真 by number and check code (public).
* ``POST /reports/verify``: 验真 of an uploaded PDF (public).
* ``GET /reports``: the register (staff); ``GET /reports/certificate.pem``: the signing certificate.
* ``GET /reports/matters``, ``/reports/fields``: the 应用事项清单 and the special-report fields.
* ``POST /reports/uses``: an agency records that it relied on a report (report_uses).
* ``GET/POST /me/report-authorisations``, ``POST /me/report-authorisations/{id}/revoke``.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden, TooLarge
from xinyong.core.settings import get_settings
from xinyong.reports import service
from xinyong.reports.schemas import (
    AuthorisationOut,
    AuthorisationRequest,
    FieldOut,
    IssuedOut,
    MatterOut,
    RegisterPageOut,
    ReportRequest,
    UseOut,
    UseRequest,
    VerificationOut,
)

router = APIRouter(prefix="/api/v1", tags=["reports"])

NUMBER = Path(..., pattern=r"^XY\d{16}$", description="报告编号，如 XY2026120800000001")


def _verification(v: service.Verification) -> VerificationOut:
    return VerificationOut(
        status=v.status,
        status_zh=v.status_zh,
        reason_zh=v.reason_zh,
        number=v.number,
        kind_zh=v.kind_zh,
        subject_name=v.subject_name,
        subject_code=v.subject_code,
        issued_at=v.issued_at,
        valid_until=v.valid_until,
        registered_sha256=v.registered_sha256,
        file_sha256=v.file_sha256,
    )


@router.post(
    "/reports", response_model=IssuedOut, status_code=201, summary="出具信用报告（返回编号和下载地址）"
)
def issue(
    body: ReportRequest,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> IssuedOut:
    """The subject's own report (free ``free_per_year`` times a year), a window's report for a
    subject, or a third party's: full with the subject's authorisation, else public information
    only. Every issued report is in the query log, the register and the ledger."""
    r = service.issue_report(
        session,
        principal,
        body.subject,
        kind=body.kind,
        field=body.field,
        period_from=body.period_from,
        period_to=body.period_to,
        channel="api",
    )
    verify = service.Rules().platform.verify_address
    return IssuedOut(
        number=r.number,
        check_code=r.check_code,
        kind=r.kind,
        field=r.field,
        scope=r.scope,
        channel=r.channel,
        subject_name=r.subject_name,
        issued_at=r.issued_at,
        valid_until=r.valid_until,
        sha256=r.sha256,
        size=r.size,
        counts=r.counts,
        found=r.found,
        download_url=f"/api/v1/reports/{r.number}.pdf",
        verify_url=f"{verify}?number={r.number}&code={r.check_code}",
    )


@router.get("/reports", response_model=RegisterPageOut, summary="信用报告登记簿")
def register(
    subject: str | None = Query(
        None, max_length=64, description="只看某一主体（统一社会信用代码或身份证号码）"
    ),
    page: int = Query(1, ge=1, le=2**31 - 1),
    per_page: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
) -> RegisterPageOut:
    subject_id = service.find_subject(session, subject).id if subject else None
    return RegisterPageOut.model_validate(
        service.list_reports(session, subject_id=subject_id, page=page, per_page=per_page)
    )


@router.get("/reports/certificate.pem", summary="信用报告签章证书（公钥，离线验证用）")
def certificate() -> Response:
    return Response(service.certificate_pem(), media_type="application/x-pem-file")


@router.get("/reports/matters", response_model=list[MatterOut], summary="信用报告应用事项清单")
def matters() -> list[MatterOut]:
    return [MatterOut(code=c, name_zh=n, kinds=k) for c, n, k in service.matters()]


@router.get("/reports/fields", response_model=list[FieldOut], summary="专项信用报告的领域")
def fields() -> list[FieldOut]:
    return [FieldOut.model_validate(f.model_dump()) for f in service.Rules().fields.items]


@router.get("/reports/{number}.pdf", summary="下载已出具的信用报告（PDF，已签章）")
def download(
    number: str = NUMBER,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    name, pdf = service.report_pdf(session, principal, number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/reports/{number}/verification", response_model=VerificationOut, summary="按报告编号和验证码验真"
)
def verification(
    number: str = NUMBER,
    code: str = Query(..., min_length=1, max_length=16, description="报告上的验证码"),
    session: Session = Depends(get_session, scope="function"),
) -> VerificationOut:
    return _verification(service.verify_number(session, number, code))


@router.post("/reports/verify", response_model=VerificationOut, summary="上传 PDF 验真")
def verify_upload(
    content: bytes = Body(
        ...,
        media_type="application/pdf",
        description="报告 PDF 文件本身（Content-Type: application/pdf），如 curl --data-binary @报告.pdf",
    ),
    session: Session = Depends(get_session, scope="function"),
) -> VerificationOut:
    """The file is the request body (not a form): anyone may verify, no browser session needed."""
    if len(content) > get_settings().max_upload_bytes:
        raise TooLarge("The file is too large", "文件过大", code="reports.file_too_large")
    return _verification(service.verify_file(session, content))


@router.post("/reports/uses", response_model=UseOut, status_code=201, summary="信用报告应用反馈")
def report_uses(
    body: UseRequest,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> UseOut:
    """An agency records that it relied on report ``number`` in a matter of the list."""
    use = service.record_use(
        session, principal, body.number, matter=body.matter, used_on=body.used_on, note=body.note
    )
    return UseOut.model_validate(use)


def _own(principal: Principal) -> int:
    if principal.subject_id is None:
        raise Forbidden(
            "This account speaks for no subject", "该账户未绑定信用主体", code="reports.no_subject"
        )
    return principal.subject_id


@router.get(
    "/me/report-authorisations", response_model=list[AuthorisationOut], summary="我授予第三方的信用报告授权"
)
def my_authorisations(
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> list[AuthorisationOut]:
    return [AuthorisationOut.model_validate(a) for a in service.list_for_subject(session, _own(principal))]


@router.post(
    "/me/report-authorisations",
    response_model=AuthorisationOut,
    status_code=201,
    summary="授权第三方获取我的信用报告",
)
def grant_authorisation(
    body: AuthorisationRequest,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> AuthorisationOut:
    view = service.grant(
        session,
        principal,
        grantee_department=body.grantee_department,
        grantee_username=body.grantee_username,
        kinds=list(body.kinds),
        field=body.field,
        purpose_zh=body.purpose_zh,
        expires_on=body.expires_on,
    )
    return AuthorisationOut.model_validate(view)


@router.post(
    "/me/report-authorisations/{authorisation_id}/revoke", response_model=AuthorisationOut, summary="撤回授权"
)
def revoke_authorisation(
    authorisation_id: int = Path(..., ge=1, le=2**63 - 1),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> AuthorisationOut:
    return AuthorisationOut.model_validate(service.revoke(session, principal, authorisation_id))
