"""HTTP API of a subject's file as each caller may see it: search, the subject row and its
relations. These routes live in access, not in subjects, because every one of them takes the
``file_read`` dependency (the caller's view, the purpose, the query log), and subjects sit below
access."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.access.deps import file_read
from xinyong.access.service import FileRead
from xinyong.core.deps import get_session
from xinyong.core.params import PageNo
from xinyong.subjects import service
from xinyong.subjects.schemas import RelationOut, SearchPageOut, SubjectOut

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
