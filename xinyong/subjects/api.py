"""HTTP API of the subjects domain (thin: it calls the service)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.access.deps import file_read
from xinyong.access.service import FileRead
from xinyong.core.deps import get_session
from xinyong.core.params import DbId, PageNo
from xinyong.subjects import service
from xinyong.subjects.schemas import (
    CaseOut,
    CasePageOut,
    DetectOut,
    GovernanceReportOut,
    RelationOut,
    ResolveCaseIn,
    SearchPageOut,
    SubjectOut,
)

router = APIRouter(prefix="/api/v1", tags=["subjects"])


@router.get("/subjects", response_model=SearchPageOut, summary="查询信用主体（名称片段、曾用名、代码前缀）")
def search_subjects(
    q: str = Query(
        ..., description="名称中任意 2 个及以上连续字符，或统一社会信用代码前缀，或完整身份证号码"
    ),
    kind: str | None = Query(
        None, description="enterprise / organisation / individual_business / natural_person"
    ),
    page: PageNo = 1,
    per_page: int = Query(20, ge=1, le=100),
    read: FileRead = Depends(file_read("subjects.search"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
) -> SearchPageOut:
    """Public callers (and government callers without a purpose) see natural persons' names
    de-identified (张**), as on the portal; a government caller with a purpose sees them in full
    and the search is in the query log."""
    access = read.open(None, optional=True)
    if access.public:
        found = service.search(session, q, kind=kind, page=page, per_page=per_page, public=True)
        return SearchPageOut.model_validate(service.public_search_page(found))
    found = service.search(session, q, kind=kind, page=page, per_page=per_page)
    read.returned(
        ["subject_profile"],
        result_count=len(found.items),
        reference=f"q={q}"[:200] if not _is_id_number(q) else "q=<身份证号码>",
    )
    return SearchPageOut.model_validate(found)


def _is_id_number(q: str) -> bool:
    # A full ID number never goes into the log's reference text.
    return len(q.strip()) == 18 and q.strip()[:17].isdigit()


@router.get("/subjects/{code}", response_model=SubjectOut, summary="按统一社会信用代码或身份证号码查看主体")
def subject_by_code(
    code: str,
    read: FileRead = Depends(file_read("subject.view"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
) -> SubjectOut:
    """The subject row in the caller's view (docs/security.md): the public sees a natural
    person's name de-identified; the full ID number only goes to the person itself and to credit
    office staff with a purpose. Reads at a non-public view are in the query log."""
    subject = service.get_by_code(session, code)
    # An organisation's row is public as a whole: without a purpose a caller gets it as the
    # public does. A natural person's row is not (name, ID number): a purpose is required.
    access = read.open(subject.id, optional=subject.kind != "natural_person")
    if access.public and subject.kind == "natural_person":
        # No existence oracle: the public view answers as for a code nobody has.
        raise service.subject_not_found(code)
    out = SubjectOut.model_validate(service.public_subject_view(subject) if access.public else subject)
    returned = ["subject_profile"]
    if access.reveal_id_number:
        out.id_number = service.reveal_id_number(session, subject.id)
        if out.id_number:
            returned.append("id_number")
    read.returned(returned)
    return out


@router.get("/subjects/{code}/relations", response_model=list[RelationOut], summary="主体的关联关系")
def subject_relations(
    code: str,
    read: FileRead = Depends(file_read("subject.relations"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
) -> list[RelationOut]:
    """Related natural persons' names are de-identified for public callers (张**); the subject
    itself and government callers with a purpose see them in full (logged)."""
    subject = service.get_by_code(session, code)
    relations = service.list_relations(session, subject.id)
    access = read.open(subject.id, optional=True)
    if access.public and subject.kind == "natural_person":
        raise service.subject_not_found(code)  # no existence oracle (as for /subjects/{code})
    if access.public:
        relations = service.public_relations(relations)
    else:
        read.returned(["subject_relations"], result_count=len(relations))
    return [RelationOut.model_validate(r) for r in relations]


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
