"""HTTP API of the lists domain (thin: it calls the service).

Who may call what is declared in ``xinyong/accounts/policy.py``; what the table cannot say is
checked by the service with the caller as an :class:`~xinyong.lists.service.Actor`: a provider
acts for its own department, a subject sees and answers its own procedures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_actor, current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden
from xinyong.core.params import DbId, PageNo
from xinyong.lists import service
from xinyong.lists.rules import ListType
from xinyong.lists.schemas import (
    Announcement,
    DecisionIn,
    ExitIn,
    InterviewIn,
    MemberPage,
    NoticeIn,
    ProcedurePage,
    ProcedureView,
    ProposalIn,
    PublicationIn,
    QueueItem,
    RectificationIn,
    StatementIn,
    WithdrawalIn,
)
from xinyong.subjects import service as subjects_service

router = APIRouter(prefix="/api/v1/lists", tags=["lists"])


@dataclass(frozen=True)
class _Step:
    """The session and caller of a request that takes a procedure step."""

    session: Session
    actor: service.Actor

    def run(self, action: Callable[..., ProcedureView], *args: Any, **fields: Any) -> ProcedureView:
        """Take the step (``action(session, *args, actor=..., **fields)``), settle it and
        answer with the procedure."""
        view = action(self.session, *args, actor=self.actor, **fields)
        service.settle(self.session)
        return view


def _step(
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(current_actor),
) -> _Step:
    return _Step(session, actor)


# --- list types and the public lists -----------------------------------------------------------


@router.get("/types", response_model=list[ListType], summary="名单类型（条件、法律依据、期限、移出条件）")
def list_types() -> list[ListType]:
    return service.list_types()


@router.get("/types/{code}", response_model=ListType, summary="一个名单类型")
def list_type(code: str) -> ListType:
    return service.get_list_type(code)


@router.get("/members", response_model=MemberPage, summary="已公布名单的成员（公开字段）")
def members(
    list_type: str | None = Query(None, description="名单类型代码"),
    kind: str | None = Query(None, description="red | watch | black"),
    page: PageNo = 1,
    per_page: int = Query(20, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
) -> MemberPage:
    """Members of the published lists: name (de-identified for natural persons), code (masked
    ID number), deciding department, decision document and dates, reasons and legal basis."""
    return service.public_members(session, list_type=list_type, kind=kind, page=page, per_page=per_page)


@router.get("/announcements/{procedure_id}", response_model=Announcement, summary="名单公告")
def announcement(
    procedure_id: DbId, session: Session = Depends(get_session, scope="function")
) -> Announcement:
    return service.announcement(session, procedure_id)


# --- procedures -----------------------------------------------------------------------------


@router.get("/procedures", response_model=ProcedurePage, summary="名单认定程序")
def procedures(
    status: str | None = None,
    list_type: str | None = None,
    subject_code: str | None = Query(None, description="主体的统一社会信用代码或身份证号码"),
    page: PageNo = 1,
    per_page: int = Query(50, ge=1, le=200),
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(current_actor),
) -> ProcedurePage:
    """The procedures the caller may see: a provider its department's, staff and regulators all."""
    subject_id = None
    if subject_code:
        subject_id = subjects_service.get_by_code(session, subject_code).id
    return service.list_procedures(
        session,
        actor=actor,
        status=status,
        list_type=list_type,
        subject_id=subject_id,
        page=page,
        per_page=per_page,
    )


@router.post("/procedures", response_model=ProcedureView, status_code=201, summary="提议列入")
def propose(
    body: ProposalIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    subject = subjects_service.get_by_code(step.session, body.subject_code)
    return step.run(
        service.propose,
        list_type=body.list_type,
        subject_id=subject.id,
        reasons=body.reasons,
        legal_basis=body.legal_basis,
        basis_record_id=body.basis_record_id,
        department_code=body.department_code,
        on=body.on,
    )


@router.get("/procedures/{procedure_id}", response_model=ProcedureView, summary="一个名单认定程序及其各环节")
def procedure(
    procedure_id: DbId,
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(current_actor),
) -> ProcedureView:
    return service.get_procedure(session, procedure_id, actor=actor)


@router.post("/procedures/{procedure_id}/notice", response_model=ProcedureView, summary="告知")
def notice(
    procedure_id: DbId,
    body: NoticeIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(
        service.notice, procedure_id, text=body.text, document_number=body.document_number, on=body.on
    )


@router.post("/procedures/{procedure_id}/statement", response_model=ProcedureView, summary="陈述申辩")
def statement(
    procedure_id: DbId,
    body: StatementIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(
        service.file_statement,
        procedure_id,
        text=body.text,
        hearing_requested=body.hearing_requested,
        on=body.on,
    )


@router.post("/procedures/{procedure_id}/decision", response_model=ProcedureView, summary="认定决定")
def decision(
    procedure_id: DbId,
    body: DecisionIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(
        service.decide,
        procedure_id,
        outcome=body.outcome,
        reasons=body.reasons,
        legal_basis=body.legal_basis,
        document_number=body.document_number,
        signed_by=body.signed_by,
        liable_persons=[p.model_dump() for p in body.liable_persons]
        if body.liable_persons is not None
        else None,
        on=body.on,
    )


@router.post("/procedures/{procedure_id}/publication", response_model=ProcedureView, summary="公布")
def publication(
    procedure_id: DbId,
    body: PublicationIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(service.publish, procedure_id, document_number=body.document_number, on=body.on)


@router.post("/procedures/{procedure_id}/interviews", response_model=ProcedureView, summary="约谈记录")
def interview(
    procedure_id: DbId,
    body: InterviewIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(service.record_interview, procedure_id, kind=body.kind, summary=body.summary, on=body.on)


@router.post("/procedures/{procedure_id}/rectification", response_model=ProcedureView, summary="整改完成")
def rectification(
    procedure_id: DbId,
    body: RectificationIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(service.record_rectification, procedure_id, text=body.text, on=body.on)


@router.post("/procedures/{procedure_id}/exit", response_model=ProcedureView, summary="移出")
def exit_list(
    procedure_id: DbId,
    body: ExitIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(
        service.exit_list,
        procedure_id,
        reason=body.reason,
        text=body.text,
        document_number=body.document_number,
        on=body.on,
    )


@router.post("/procedures/{procedure_id}/withdrawal", response_model=ProcedureView, summary="撤回提议")
def withdrawal(
    procedure_id: DbId,
    body: WithdrawalIn,
    step: _Step = Depends(_step, scope="function"),
) -> ProcedureView:
    return step.run(service.withdraw, procedure_id, text=body.text, on=body.on)


@router.get("/queue", response_model=list[QueueItem], summary="待办与逾期")
def queue(
    overdue_only: bool = Query(False, description="只看逾期"),
    list_type: str | None = None,
    session: Session = Depends(get_session, scope="function"),
    actor: service.Actor = Depends(current_actor),
) -> list[QueueItem]:
    """Procedures waiting for a step with their working-day deadlines, overdue first."""
    return service.queue(session, actor=actor, overdue_only=overdue_only, list_type=list_type)


@router.get("/my/procedures", response_model=list[ProcedureView], summary="本主体的名单认定程序")
def my_procedures(
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> list[ProcedureView]:
    """A subject account's own procedures (notices to answer, decisions, listings)."""
    if principal.subject_id is None:
        raise Forbidden(
            "Only a subject account has its own procedures",
            "仅信用主体账户可以查看本主体的名单认定程序",
            code="lists.not_a_subject",
        )
    return service.subject_procedures(session, principal.subject_id)
