"""HTTP API of objections (thin: it calls the service). Who may call what is in
``xinyong/accounts/policy.py``; the service narrows it (a subject its own, a provider its
department's)."""

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
from xinyong.objections import service
from xinyong.objections.schemas import ObjectionIn, ObjectionPage, ObjectionView, StepIn

router = APIRouter(prefix="/api/v1/objections", tags=["objections"])
_MAX_ID = 2**63 - 1


def actor_of(principal: Principal) -> casework.Actor:
    return casework.Actor(
        label=principal.label,
        role=principal.role,
        provider_code=principal.provider_code,
        subject_id=principal.subject_id,
    )


def _actor(principal: Principal = Depends(current_principal)) -> casework.Actor:
    return actor_of(principal)


@router.get("", response_model=ObjectionPage, summary="异议申请（主体限本主体，信息提供单位限本部门）")
def list_objections(
    status: str | None = Query(None, max_length=16, description="状态；open = 办理中"),
    subject_id: int | None = Query(None, ge=1, le=_MAX_ID),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> ObjectionPage:
    return service.list_objections(
        session, actor=actor, status=status, subject_id=subject_id, page=page, per_page=per_page
    )


@router.post(
    "", response_model=ObjectionView, status_code=201, summary="提出异议（主体本人；窗口代录填写收件日期）"
)
def file_objection(
    body: ObjectionIn,
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> ObjectionView:
    return service.file_objection(
        session,
        record_id=body.record_id,
        ground=body.ground,
        statement=body.statement,
        actor=actor,
        received_on=body.received_on,
        applicant_name=body.applicant_name,
        schedule=body.schedule,
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


@router.get("/{objection_id}", response_model=ObjectionView, summary="一件异议（含办理过程、附件、文书）")
def get_objection(
    objection_id: int = Path(ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> ObjectionView:
    return service.get_objection(session, objection_id, actor=actor)


@router.post(
    "/{objection_id}/steps",
    response_model=ObjectionView,
    summary="办理一个环节（比对、回复、延期、决定、撤回）",
)
def take_step(
    body: StepIn,
    objection_id: int = Path(ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> ObjectionView:
    return service.take_step(
        session,
        objection_id,
        action=body.action,
        actor=actor,
        result=body.result,
        outcome=body.outcome,
        text=body.text,
        corrections=body.corrections,
        on=body.on,
    )


@router.post(
    "/{objection_id}/attachments",
    response_model=ObjectionView,
    status_code=201,
    summary="补充证明材料（PDF/JPG/PNG）",
)
async def add_attachment(
    objection_id: int = Path(ge=1, le=_MAX_ID),
    file: UploadFile = File(..., description="PDF、JPG 或 PNG（按文件内容识别）"),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> ObjectionView:
    content = await file.read()
    return service.add_attachment(session, objection_id, file.filename or "附件", content, actor=actor)


@router.get("/{objection_id}/attachments/{attachment_id}", summary="下载附件")
def attachment(
    objection_id: int = Path(ge=1, le=_MAX_ID),
    attachment_id: int = Path(ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: casework.Actor = Depends(_actor),
) -> Response:
    view = service.get_objection(session, objection_id, actor=actor)
    meta, content = casework.attachment_content(
        session, casework.CaseRef(service.KIND, view.id), attachment_id
    )
    return Response(content, media_type=meta.media_type, headers={"Content-Disposition": "attachment"})
