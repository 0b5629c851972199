"""HTTP API of the subjects domain: 重错码 governance (thin: it calls the service). The routes that
serve a subject's file to a caller (search, the subject row, relations) are in
``xinyong.access.api``: each read there goes through the caller's view and the query log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.core.deps import get_session
from xinyong.core.params import DbId, PageNo
from xinyong.subjects import service
from xinyong.subjects.schemas import (
    CaseOut,
    CasePageOut,
    DetectOut,
    GovernanceReportOut,
    ResolveCaseIn,
)

router = APIRouter(prefix="/api/v1", tags=["subjects"])


@router.get(
    "/governance/cases", response_model=CasePageOut, summary="重错码治理事项列表", tags=["governance"]
)
def governance_cases(
    status: str | None = Query("open", description="open / resolved / all"),
    kind: str | None = Query(
        None,
        description="inner_check_mismatch / code_multiple_names / name_multiple_codes / provisional_subject",
    ),
    page: PageNo = 1,
    per_page: int = Query(20, ge=1, le=100),
    session: Session = Depends(get_session, scope="function"),
) -> CasePageOut:
    return CasePageOut.model_validate(
        service.list_cases(
            session, status=None if status == "all" else status, kind=kind, page=page, per_page=per_page
        )
    )


@router.get(
    "/governance/cases/{case_id}", response_model=CaseOut, summary="一个治理事项", tags=["governance"]
)
def governance_case(case_id: DbId, session: Session = Depends(get_session, scope="function")) -> CaseOut:
    return CaseOut.model_validate(service.get_case(session, case_id))


@router.post(
    "/governance/cases/{case_id}/resolve", response_model=CaseOut, summary="处理治理事项", tags=["governance"]
)
def resolve_governance_case(
    case_id: DbId, body: ResolveCaseIn, session: Session = Depends(get_session, scope="function")
) -> CaseOut:
    return CaseOut.model_validate(
        service.resolve_case(
            session,
            case_id,
            body.resolution,
            by=body.by,
            note=body.note,
            target_subject_id=body.target_subject_id,
            corrected_code=body.corrected_code,
        )
    )


@router.post(
    "/governance/detect", response_model=DetectOut, summary="扫描重错码与临时主体", tags=["governance"]
)
def governance_detect(session: Session = Depends(get_session, scope="function")) -> DetectOut:
    return DetectOut(opened=service.detect_cases(session))


@router.get(
    "/governance/report",
    response_model=GovernanceReportOut,
    summary="重错码治理报告（重错码率）",
    tags=["governance"],
)
def governance_report(session: Session = Depends(get_session, scope="function")) -> GovernanceReportOut:
    return GovernanceReportOut.model_validate(service.governance_report(session))
