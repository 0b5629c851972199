"""HTTP API of the records domain (thin: it calls the service)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.core.deps import get_session
from xinyong.records import service
from xinyong.records.schemas import CreditSummary, RecordPage, RecordView

router = APIRouter(prefix="/api/v1", tags=["records"])


def _subject_id(session: Session, code: str) -> int:
    """The subject a USCC or ID number names (``NotFound`` otherwise)."""
    from xinyong.subjects import service as subjects_service

    return subjects_service.get_by_code(session, code).id


@router.get("/subjects/{code}/records", response_model=RecordPage, summary="主体的公开信用记录")
def subject_records(
    code: str,
    category: str | None = Query(None, description="只看某一类别，如 行政处罚"),
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=200),
    session: Session = Depends(get_session),
) -> RecordPage:
    """A subject's records in the public view: public fields, in force, inside the window."""
    return service.list_subject_records(
        session,
        _subject_id(session, code),
        visibility="public",
        category=category,
        page=page,
        per_page=per_page,
    )


@router.get("/records/{record_id}", response_model=RecordView, summary="一条信用记录（公开字段）")
def record(record_id: int, session: Session = Depends(get_session)) -> RecordView:
    """The public fields of the current version and the list of versions."""
    return service.view_record(session, record_id, visibility="public")


@router.get("/subjects/{code}/credit-state", response_model=CreditSummary, summary="主体的信用状态")
def credit_state(code: str, session: Session = Depends(get_session)) -> CreditSummary:
    return service.subject_summary(session, _subject_id(session, code))
