"""HTTP API of credit repair (thin: it calls the service). Who may call what is in
``xinyong/accounts/policy.py``; the service narrows it (a subject its own, an agency its own)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.casework import service as casework
from xinyong.casework.schemas import TrackView
from xinyong.core.deps import get_session
from xinyong.core.errors import NotFound
from xinyong.repairs import service
from xinyong.repairs.schemas import Eligibility, RepairIn, RepairPage, RepairView, StepIn

router = APIRouter(prefix="/api/v1/repairs", tags=["repairs"])
_MAX_ID = 2**63 - 1


def _actor(principal: Principal = Depends(current_principal)) -> casework.Actor:
    return casework.Actor(
        label=principal.label,
        role=principal.role,
        provider_code=principal.provider_code,
        subject_id=principal.subject_id,
    )


@router.get("", response_model=RepairPage, summary="信用修复申请（主体限本主体，认定单位限本部门）")
def list_repairs(
    status: str | None = Query(None, max_length=16, description="状态；open = 办理中"),
    subject_id: int | None = Query(None, ge=1, le=_MAX_ID),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> RepairPage:
    return service.list_repairs(
        session, actor=actor, status=status, subject_id=subject_id, page=page, per_page=per_page
    )


@router.get("/eligibility", response_model=Eligibility, summary="可否申请信用修复（申请前）")
def eligibility(
    record_id: int | None = Query(None, ge=1, le=_MAX_ID),
    list_procedure_id: int | None = Query(None, ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> Eligibility:
    return service.eligibility(session, actor=actor, record_id=record_id, list_procedure_id=list_procedure_id)


@router.post("", response_model=RepairView, status_code=201, summary="申请信用修复（签署信用承诺，免费）")
def apply_for(
    body: RepairIn,
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> RepairView:
    return service.apply_for(
        session,
        actor=actor,
        statement=body.statement,
        commitment=body.commitment,
        materials=body.materials,
        record_id=body.record_id,
        list_procedure_id=body.list_procedure_id,
        received_on=body.received_on,
        applicant_name=body.applicant_name,
    )


@router.get("/track", response_model=TrackView, summary="凭查询码查询办理进度（无需登录）")
def track(
    code: str = Query(..., min_length=1, max_length=40),
    session: Session = Depends(get_session, scope="function"),
) -> TrackView:
    found = service.track(session, code)
    if found is None:
        raise NotFound(
            "No case with this lookup code", "查询码不正确或不存在", code="casework.lookup_code_unknown"
        )
    return found


@router.get("/{repair_id}", response_model=RepairView, summary="一件信用修复申请（含办理过程、附件、文书）")
def get_repair(
    repair_id: int = Path(ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> RepairView:
    return service.get_repair(session, repair_id, actor=actor)


@router.post(
    "/{repair_id}/steps",
    response_model=RepairView,
    summary="办理一个环节（受理、不予受理、延期、决定、撤回）",
)
def take_step(
    body: StepIn,
    repair_id: int = Path(ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> RepairView:
    return service.take_step(
        session, repair_id, action=body.action, actor=actor, outcome=body.outcome, text=body.text, on=body.on
    )


@router.post(
    "/{repair_id}/attachments",
    response_model=RepairView,
    status_code=201,
    summary="补充申请材料（PDF/JPG/PNG）",
)
async def add_attachment(
    repair_id: int = Path(ge=1, le=_MAX_ID),
    file: UploadFile = File(..., description="PDF、JPG 或 PNG（按文件内容识别）"),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> RepairView:
    content = await file.read()
    return service.add_attachment(session, repair_id, file.filename or "附件", content, actor=actor)


@router.get("/{repair_id}/attachments/{attachment_id}", summary="下载附件")
def attachment(
    repair_id: int = Path(ge=1, le=_MAX_ID),
    attachment_id: int = Path(ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> Response:
    view = service.get_repair(session, repair_id, actor=actor)
    meta, content = casework.attachment_content(
        session, casework.CaseRef(service.KIND, view.id), attachment_id
    )
    return Response(content, media_type=meta.media_type, headers={"Content-Disposition": "attachment"})
