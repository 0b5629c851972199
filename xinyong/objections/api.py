"""HTTP API of objections (thin: it calls the service). Who may call what is in
``xinyong/accounts/policy.py``; the service narrows it (a subject its own, a provider its
department's). What every case procedure's router shares is in ``xinyong/casework/api.py``."""

from __future__ import annotations

from fastapi import APIRouter

from xinyong.casework import api as case_api
from xinyong.casework.api import CaseActor, CaseId, CaseStatus, OptionalId, Page, PerPage
from xinyong.core.deps import DbSession
from xinyong.objections import service
from xinyong.objections.schemas import ObjectionIn, ObjectionPage, ObjectionView, StepIn

router = APIRouter(prefix="/api/v1/objections", tags=["objections"])


@router.get("", response_model=ObjectionPage, summary="异议申请（主体限本主体，信息提供单位限本部门）")
def list_objections(
    session: DbSession,
    actor: CaseActor,
    status: CaseStatus = None,
    subject_id: OptionalId = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> ObjectionPage:
    return service.list_objections(
        session, actor=actor, status=status, subject_id=subject_id, page=page, per_page=per_page
    )


@router.post(
    "", response_model=ObjectionView, status_code=201, summary="提出异议（主体本人；窗口代录填写收件日期）"
)
def file_objection(body: ObjectionIn, session: DbSession, actor: CaseActor) -> ObjectionView:
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


case_api.add_track_route(router, service.track)


@router.get("/{objection_id}", response_model=ObjectionView, summary="一件异议（含办理过程、附件、文书）")
def get_objection(objection_id: CaseId, session: DbSession, actor: CaseActor) -> ObjectionView:
    return service.get_objection(session, objection_id, actor=actor)


@router.post(
    "/{objection_id}/steps",
    response_model=ObjectionView,
    summary="办理一个环节（比对、回复、延期、决定、撤回）",
)
def take_step(body: StepIn, objection_id: CaseId, session: DbSession, actor: CaseActor) -> ObjectionView:
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


case_api.add_attachment_routes(
    router,
    id_name="objection_id",
    kind=service.KIND,
    view=ObjectionView,
    upload_summary="补充证明材料（PDF/JPG/PNG）",
    get_case=service.get_objection,
    add=service.add_attachment,
)
