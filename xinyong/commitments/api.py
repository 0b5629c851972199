"""HTTP API of the commitments domain (thin: it calls the service). Who may call which route is
in ``accounts/policy.py``; the service narrows it (a subject its own commitments, a department
those made to it). What every case procedure's router shares is in ``xinyong/casework/api.py``."""

from __future__ import annotations

from fastapi import APIRouter, Query

from xinyong.casework.api import CaseActor, CaseId, Page, PerPage, SubjectCode, subject_id_of
from xinyong.commitments import service
from xinyong.commitments.schemas import (
    CommitmentIn,
    CommitmentPage,
    CommitmentView,
    OverdueView,
    StepIn,
    TemplateView,
)
from xinyong.core.deps import DbSession

router = APIRouter(prefix="/api/v1/commitments", tags=["commitments"])


@router.get("/templates", response_model=list[TemplateView], summary="可签署的信用承诺类型及承诺书文本")
def templates() -> list[TemplateView]:
    return service.templates()


@router.get("", response_model=CommitmentPage, summary="信用承诺（本主体的 / 本部门受理的 / 全部）")
def list_commitments(
    session: DbSession,
    actor: CaseActor,
    status: str | None = Query(None, description="signed | supplied | fulfilled | breached"),
    subject_code: SubjectCode = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> CommitmentPage:
    subject_id = subject_id_of(session, subject_code)
    return service.list_commitments(
        session, actor=actor, status=status, subject_id=subject_id, page=page, per_page=per_page
    )


@router.post("", response_model=CommitmentView, status_code=201, summary="签署信用承诺（公开并记入信用记录）")
def sign(body: CommitmentIn, session: DbSession, actor: CaseActor) -> CommitmentView:
    view = service.sign(
        session,
        actor=actor,
        commitment_type=body.commitment_type,
        matter=body.matter,
        department_code=body.department_code,
        subject_id=subject_id_of(session, body.subject_code),
    )
    service.settle(session)
    return view


@router.get("/overdue", response_model=list[OverdueView], summary="逾期未核查的承诺（督办队列）")
def overdue(session: DbSession, actor: CaseActor) -> list[OverdueView]:
    return service.overdue_queue(session, actor=actor)


@router.get("/{commitment_id}", response_model=CommitmentView, summary="一项信用承诺及其办理过程")
def get_commitment(commitment_id: CaseId, session: DbSession, actor: CaseActor) -> CommitmentView:
    return service.get_commitment(session, commitment_id, actor=actor)


@router.post("/{commitment_id}/steps", response_model=CommitmentView, summary="补齐材料 / 核查履约")
def step(body: StepIn, commitment_id: CaseId, session: DbSession, actor: CaseActor) -> CommitmentView:
    service.take_step(
        session,
        commitment_id,
        actor=actor,
        action=body.action,
        outcome=body.outcome,
        text=body.text,
        on=body.on,
        attachments=[(a.filename, a.content_base64) for a in body.attachments],
    )
    service.settle(session)
    return service.get_commitment(session, commitment_id, actor=actor)
