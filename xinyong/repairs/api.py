"""HTTP API of credit repair (thin: it calls the service). Who may call what is in
``xinyong/accounts/policy.py``; the service narrows it (a subject its own, an agency its own).
What every case procedure's router shares is in ``xinyong/casework/api.py``."""

from __future__ import annotations

from fastapi import APIRouter

from xinyong.casework import api as case_api
from xinyong.casework.api import CaseActor, CaseId, CaseStatus, OptionalId, Page, PerPage
from xinyong.core.deps import DbSession
from xinyong.repairs import service
from xinyong.repairs.schemas import Eligibility, RepairIn, RepairPage, RepairView, StepIn

router = APIRouter(prefix="/api/v1/repairs", tags=["repairs"])


@router.get("", response_model=RepairPage, summary="信用修复申请（主体限本主体，认定单位限本部门）")
def list_repairs(
    session: DbSession,
    actor: CaseActor,
    status: CaseStatus = None,
    subject_id: OptionalId = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> RepairPage:
    return service.list_repairs(
        session, actor=actor, status=status, subject_id=subject_id, page=page, per_page=per_page
    )


@router.get("/eligibility", response_model=Eligibility, summary="可否申请信用修复（申请前）")
def eligibility(
    session: DbSession,
    actor: CaseActor,
    record_id: OptionalId = None,
    list_procedure_id: OptionalId = None,
) -> Eligibility:
    return service.eligibility(session, actor=actor, record_id=record_id, list_procedure_id=list_procedure_id)


@router.post("", response_model=RepairView, status_code=201, summary="申请信用修复（签署信用承诺，免费）")
def apply_for(body: RepairIn, session: DbSession, actor: CaseActor) -> RepairView:
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


case_api.add_track_route(router, service.track)


@router.get("/{repair_id}", response_model=RepairView, summary="一件信用修复申请（含办理过程、附件、文书）")
def get_repair(repair_id: CaseId, session: DbSession, actor: CaseActor) -> RepairView:
    return service.get_repair(session, repair_id, actor=actor)


@router.post(
    "/{repair_id}/steps",
    response_model=RepairView,
    summary="办理一个环节（受理、不予受理、延期、决定、撤回）",
)
def take_step(body: StepIn, repair_id: CaseId, session: DbSession, actor: CaseActor) -> RepairView:
    return service.take_step(
        session, repair_id, action=body.action, actor=actor, outcome=body.outcome, text=body.text, on=body.on
    )


case_api.add_attachment_routes(
    router,
    id_name="repair_id",
    kind=service.KIND,
    view=RepairView,
    upload_summary="补充申请材料（PDF/JPG/PNG）",
    get_case=service.get_repair,
    add=service.add_attachment,
)
