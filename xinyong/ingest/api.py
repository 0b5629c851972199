"""HTTP API of the ingest domain (thin: it calls the service).

Providers authenticate with an API key (``X-Api-Key`` or ``Authorization: Bearer``) or a portal
session of a provider account, resolved by the accounts domain (``current_principal``; the key
``create_provider`` issues is an API key of the provider's department), and see only their own
submissions, quarantine and metrics. Who may call each route is declared in ``xinyong/accounts/policy.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden
from xinyong.core.params import DbId, PageNo
from xinyong.ingest import service
from xinyong.ingest.schemas import (
    ApprovalOut,
    BatchIn,
    DiscardIn,
    PendingSubmissionOut,
    ProviderMetricsOut,
    QuarantineOut,
    QuarantinePage,
    ResubmitIn,
    RowOut,
    RowPage,
    SubmissionCreated,
    SubmissionDetail,
    SubmissionOut,
    SubmissionPage,
)

router = APIRouter(prefix="/api/v1", tags=["ingest"])


def current_provider(
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> service.ProviderInfo:
    """The provider the caller acts for (the access policy already required the provider role)."""
    if principal.provider_code is None:
        raise Forbidden(
            "Only a provider's API key or account may use this endpoint",
            "仅信息提供单位的 API 密钥或账户可以使用该接口",
            code="ingest.not_a_provider",
        )
    provider = service.get_provider(session, principal.provider_code)
    if not provider.active:
        raise Forbidden(
            "The provider is deactivated", "该信息提供单位已停用", code="ingest.provider_inactive"
        )
    return provider


def _summary(result: service.SubmissionResult) -> dict[str, object]:
    out = SubmissionOut.model_validate(result).model_dump()
    out["rows_accepted"] = result.rows_accepted
    out["unknown_headers"] = result.unknown_headers
    return out


def _created(result: service.SubmissionResult) -> SubmissionCreated:
    return SubmissionCreated(
        **_summary(result),
        problems=[RowOut.model_validate(r) for r in result.problems],
        rows_url=f"/api/v1/submissions/{result.id}",
    )


@router.post(
    "/submissions", response_model=SubmissionCreated, status_code=201, summary="报送一批记录（JSON）"
)
def submit_batch(
    body: BatchIn,
    provider: service.ProviderInfo = Depends(current_provider),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> SubmissionCreated:
    """Submit a JSON batch ``{"item": ..., "rows": [{header: value}, ...]}``."""
    principal.require_item(body.item)  # an API key may be limited to some catalog items
    return _created(service.submit(session, provider, body.item, body.rows, "api"))


@router.post(
    "/submissions/file", response_model=SubmissionCreated, status_code=201, summary="上传报送文件（CSV/XLSX）"
)
def submit_file(
    file: UploadFile = File(..., description="CSV (UTF-8 or GBK/GB18030), XLSX, JSONL or JSON"),
    item: str = Form(..., description="catalog item code"),
    provider: service.ProviderInfo = Depends(current_provider),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> SubmissionCreated:
    """Upload a file (multipart: ``file`` and ``item``)."""
    principal.require_item(item)  # an API key may be limited to some catalog items
    return _created(service.submit_file(session, provider, item, file.file, file.filename))


@router.get("/submissions", response_model=SubmissionPage, summary="本单位的报送批次")
def list_submissions(
    item: str | None = None,
    status: str | None = None,
    page: PageNo = 1,
    per_page: int = Query(50, ge=1, le=500),
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> SubmissionPage:
    """The calling provider's own submissions, newest first."""
    result = service.list_submissions(
        session, provider_id=provider.id, item_code=item, status=status, page=page, per_page=per_page
    )
    return SubmissionPage(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        items=[SubmissionOut(**_summary(s)) for s in result.items],
    )


@router.get("/submissions/{submission_id}", response_model=SubmissionDetail, summary="一个报送批次及逐行结果")
def get_submission(
    submission_id: str,
    outcome: str | None = Query(None, description="created|corrected|withdrawn|unchanged|rejected"),
    problems_only: bool = Query(False, description="only rejected or late rows"),
    page: PageNo = 1,
    per_page: int = Query(100, ge=1, le=1000),
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> SubmissionDetail:
    """Status, counters and per-row results (row, field, value, rule code, Chinese message)."""
    result = service.get_submission(session, submission_id, provider_id=provider.id)
    rows = service.list_submission_rows(
        session,
        submission_id,
        provider_id=provider.id,
        outcome=outcome,
        problems_only=problems_only,
        page=page,
        per_page=per_page,
    )
    return SubmissionDetail(
        **_summary(result),
        rows=RowPage(
            total=rows.total,
            page=rows.page,
            per_page=rows.per_page,
            items=[RowOut.model_validate(r) for r in rows.items],
        ),
    )


@router.get("/approvals", response_model=list[PendingSubmissionOut], summary="本单位待审核的报送批次")
def list_pending_approvals(
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> list[PendingSubmissionOut]:
    """The department's submissions whose records wait for its approval (待审核), oldest first."""
    return [PendingSubmissionOut.model_validate(p) for p in service.pending_submissions(session, provider)]


@router.post(
    "/submissions/{submission_id}/approve",
    response_model=ApprovalOut,
    summary="审核通过一个报送批次（待审核记录生效）",
)
def approve_submission(
    submission_id: str,
    provider: service.ProviderInfo = Depends(current_provider),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> ApprovalOut:
    """An officer of the department approves a submission: its records come into force."""
    if principal.kind != "user" or not principal.username:
        # A system's key submits; a person of the department approves.
        raise Forbidden(
            "Only an officer's account may approve, not an API key",
            "只有本单位工作人员的账户可以审核，API 密钥不能审核",
            code="ingest.approval_needs_officer",
        )
    result = service.approve_submission(
        session, submission_id, provider_code=provider.code, officer=principal.username
    )
    return ApprovalOut.model_validate(result)


@router.get("/quarantine", response_model=QuarantinePage, summary="待纠正（隔离）的数据行")
def list_quarantine(
    item: str | None = None,
    status: str | None = Query("open", description="open|resolved|superseded|discarded; empty = all"),
    submission_id: str | None = None,
    page: PageNo = 1,
    per_page: int = Query(50, ge=1, le=500),
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> QuarantinePage:
    """The calling provider's quarantined rows with their reasons."""
    result = service.list_quarantine(
        session,
        provider=provider.id,
        item_code=item,
        status=status or None,
        submission_id=submission_id,
        page=page,
        per_page=per_page,
    )
    return QuarantinePage(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        items=[QuarantineOut.model_validate(q) for q in result.items],
    )


@router.get("/quarantine/{quarantine_id}", response_model=QuarantineOut, summary="一条隔离数据行")
def get_quarantine(
    quarantine_id: DbId,
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> QuarantineOut:
    return QuarantineOut.model_validate(
        service.get_quarantine(session, quarantine_id, provider_id=provider.id)
    )


@router.post(
    "/quarantine/{quarantine_id}/resubmit",
    response_model=SubmissionCreated,
    status_code=201,
    summary="纠正后重新报送一条隔离数据行",
)
def resubmit(
    quarantine_id: DbId,
    body: ResubmitIn,
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> SubmissionCreated:
    """Correct a quarantined row and store it as a new submission (channel ``resubmit``)."""
    return _created(
        service.correct_and_resubmit(session, quarantine_id, body.values, provider_id=provider.id)
    )


@router.post(
    "/quarantine/{quarantine_id}/discard", response_model=QuarantineOut, summary="放弃一条隔离数据行"
)
def discard(
    quarantine_id: DbId,
    body: DiscardIn,
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> QuarantineOut:
    """Close a quarantined row without storing it; the note is kept."""
    return QuarantineOut.model_validate(
        service.discard(session, quarantine_id, body.note, provider_id=provider.id)
    )


@router.get(
    "/providers/{code}/metrics", response_model=ProviderMetricsOut, summary="信息提供单位的报送质量指标"
)
def metrics(
    code: str,
    provider: service.ProviderInfo = Depends(current_provider),
    session: Session = Depends(get_session, scope="function"),
) -> ProviderMetricsOut:
    """Submissions, rows accepted / rejected by rule, late rows, error rate, median delay."""
    if code != provider.code:
        raise Forbidden(
            "A provider may only see its own metrics",
            "只能查看本单位的报送统计",
            code="ingest.forbidden",
            value=code,
        )
    return ProviderMetricsOut.model_validate(service.provider_metrics(session, code))
