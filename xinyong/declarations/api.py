"""HTTP API of the declarations domain (thin: it calls the service). Who may call which route is
in ``accounts/policy.py``; the service narrows it (a subject its own declarations, a department
those it verifies)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import NotFound
from xinyong.declarations import service
from xinyong.declarations.schemas import (
    DeclarationIn,
    DeclarationPage,
    DeclarationView,
    KindView,
    OverdueView,
    StepIn,
)
from xinyong.subjects import service as subjects_service

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])
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


@router.get("/kinds", response_model=list[KindView], summary="可申报的信息类型")
def kinds() -> list[KindView]:
    return service.kinds()


@router.get("", response_model=DeclarationPage, summary="自主申报（本主体的 / 本部门核实的 / 全部）")
def list_declarations(
    status: str | None = Query(None, description="filed | verified | rejected"),
    subject_code: str | None = Query(None, max_length=40, description="主体代码"),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> DeclarationPage:
    return service.list_declarations(
        session,
        actor=actor,
        status=status,
        subject_id=_subject_id(session, subject_code),
        page=page,
        per_page=per_page,
    )


@router.post("", response_model=DeclarationView, status_code=201, summary="提交自主申报（附证明材料）")
def file_declaration(
    body: DeclarationIn,
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> DeclarationView:
    view = service.file_declaration(
        session,
        actor=actor,
        declaration_type=body.declaration_type,
        title=body.title,
        content=body.content,
        valid_until=body.valid_until,
        department_code=body.department_code,
        subject_id=_subject_id(session, body.subject_code),
        attachments=[(a.filename, a.content_base64) for a in body.attachments],
    )
    service.settle(session)
    return view


@router.get("/overdue", response_model=list[OverdueView], summary="逾期未核实的申报（督办队列）")
def overdue(
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> list[OverdueView]:
    return service.overdue_queue(session, actor=actor)


@router.get("/{declaration_id}", response_model=DeclarationView, summary="一项自主申报及其办理过程")
def get_declaration(
    declaration_id: int = Path(ge=1, le=MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> DeclarationView:
    return service.get_declaration(session, declaration_id, actor=actor)


@router.post("/{declaration_id}/steps", response_model=DeclarationView, summary="核实 / 不予核实")
def step(
    body: StepIn,
    declaration_id: int = Path(ge=1, le=MAX_ID),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(_actor),
) -> DeclarationView:
    service.take_step(session, declaration_id, actor=actor, action=body.action, text=body.text, on=body.on)
    service.settle(session)
    return service.get_declaration(session, declaration_id, actor=actor)
