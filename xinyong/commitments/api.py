"""HTTP API of the commitments domain (thin: it calls the service). Who may call which route is
in ``accounts/policy.py``; the service narrows it (a subject its own commitments, a department
those made to it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.commitments import service
from xinyong.commitments.schemas import (
    CommitmentIn,
    CommitmentPage,
    CommitmentView,
    OverdueView,
    StepIn,
    TemplateView,
)
from xinyong.core.deps import get_session
from xinyong.core.errors import NotFound
from xinyong.subjects import service as subjects_service

router = APIRouter(prefix="/api/v1/commitments", tags=["commitments"])
MAX_ID = 2**63 - 1


def _actor(principal: Principal = Depends(current_principal)) -> service.Actor:
    return service.Actor(
        label=principal.label,
        role=principal.role,
        provider_code=principal.provider_code,
        subject_id=principal.subject_id,
    )


def _subject_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    subject = subjects_service.get_by_code(session, code.strip())
    if subject is None:
        raise NotFound("Subject not found", "未找到该信用主体", code="subject.not_found", value=code)
    return subject.id


@router.get("/templates", response_model=list[TemplateView], summary="可签署的信用承诺类型及承诺书文本")
def templates() -> list[TemplateView]:
    return service.templates()


@router.get("", response_model=CommitmentPage, summary="信用承诺（本主体的 / 本部门受理的 / 全部）")
def list_commitments(
    status: str | None = Query(None, description="signed | supplied | fulfilled | breached"),
    subject_code: str | None = Query(None, max_length=40, description="主体代码"),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> CommitmentPage:
    return service.list_commitments(
        session,
        actor=actor,
        status=status,
        subject_id=_subject_id(session, subject_code),
        page=page,
        per_page=per_page,
    )


@router.post("", response_model=CommitmentView, status_code=201, summary="签署信用承诺（公开并记入信用记录）")
def sign(
    body: CommitmentIn,
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> CommitmentView:
    view = service.sign(
        session,
        actor=actor,
        commitment_type=body.commitment_type,
        matter=body.matter,
        department_code=body.department_code,
        subject_id=_subject_id(session, body.subject_code),
    )
    service.settle(session)
    return view


@router.get("/overdue", response_model=list[OverdueView], summary="逾期未核查的承诺（督办队列）")
def overdue(
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> list[OverdueView]:
    return service.overdue_queue(session, actor=actor)


@router.get("/{commitment_id}", response_model=CommitmentView, summary="一项信用承诺及其办理过程")
def get_commitment(
    commitment_id: int = Path(ge=1, le=MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> CommitmentView:
    return service.get_commitment(session, commitment_id, actor=actor)


@router.post("/{commitment_id}/steps", response_model=CommitmentView, summary="补齐材料 / 核查履约")
def step(
    body: StepIn,
    commitment_id: int = Path(ge=1, le=MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> CommitmentView:
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
