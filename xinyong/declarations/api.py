"""HTTP API of the declarations domain (thin: it calls the service). Who may call which route is
in ``accounts/policy.py``; the service narrows it (a subject its own declarations, a department
those it verifies). What every case procedure's router shares is in ``xinyong/casework/api.py``."""

from __future__ import annotations

from fastapi import APIRouter, Query

from xinyong.casework.api import CaseActor, CaseId, Page, PerPage, SubjectCode, subject_id_of
from xinyong.core.deps import DbSession
from xinyong.declarations import service
from xinyong.declarations.schemas import (
    DeclarationIn,
    DeclarationPage,
    DeclarationView,
    KindView,
    OverdueView,
    StepIn,
)

router = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])


@router.get("/kinds", response_model=list[KindView], summary="可申报的信息类型")
def kinds() -> list[KindView]:
    return service.kinds()


@router.get("", response_model=DeclarationPage, summary="自主申报（本主体的 / 本部门核实的 / 全部）")
def list_declarations(
    session: DbSession,
    actor: CaseActor,
    status: str | None = Query(None, description="filed | verified | rejected"),
    subject_code: SubjectCode = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> DeclarationPage:
    subject_id = subject_id_of(session, subject_code)
    return service.list_declarations(
        session, actor=actor, status=status, subject_id=subject_id, page=page, per_page=per_page
    )


@router.post("", response_model=DeclarationView, status_code=201, summary="提交自主申报（附证明材料）")
def file_declaration(body: DeclarationIn, session: DbSession, actor: CaseActor) -> DeclarationView:
    view = service.file_declaration(
        session,
        actor=actor,
        declaration_type=body.declaration_type,
        title=body.title,
        content=body.content,
        valid_until=body.valid_until,
        department_code=body.department_code,
        subject_id=subject_id_of(session, body.subject_code),
        attachments=[(a.filename, a.content_base64) for a in body.attachments],
    )
    service.settle(session)
    return view


@router.get("/overdue", response_model=list[OverdueView], summary="逾期未核实的申报（督办队列）")
def overdue(session: DbSession, actor: CaseActor) -> list[OverdueView]:
    return service.overdue_queue(session, actor=actor)


@router.get("/{declaration_id}", response_model=DeclarationView, summary="一项自主申报及其办理过程")
def get_declaration(declaration_id: CaseId, session: DbSession, actor: CaseActor) -> DeclarationView:
    return service.get_declaration(session, declaration_id, actor=actor)


@router.post("/{declaration_id}/steps", response_model=DeclarationView, summary="核实 / 不予核实")
def step(body: StepIn, declaration_id: CaseId, session: DbSession, actor: CaseActor) -> DeclarationView:
    service.take_step(session, declaration_id, actor=actor, action=body.action, text=body.text, on=body.on)
    service.settle(session)
    return service.get_declaration(session, declaration_id, actor=actor)
