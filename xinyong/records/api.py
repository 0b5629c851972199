"""HTTP API of the records domain (thin: it calls the service).

What a caller sees depends on who it is and the purpose it names (``X-Purpose`` header or
``purpose`` parameter): the dependency ``access.deps.file_read`` picks the view (public, the
subject's own, government, provider; ``access.service.access_for``), ``access.visibility`` applies
it, and every read at a non-public view is written to the query log. See docs/security.md.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.access.deps import file_read
from xinyong.access.service import FileRead
from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.params import DbId, PageNo
from xinyong.records import service
from xinyong.records.schemas import RecordPage, RecordView
from xinyong.subjects import service as subjects_service

router = APIRouter(prefix="/api/v1", tags=["records"])


def _subject(session: Session, code: str) -> tuple[int, str]:
    """The subject a USCC or ID number names (``NotFound`` otherwise): id and kind."""
    subject = subjects_service.get_by_code(session, code)
    return subject.id, subject.kind


@router.get(
    "/subjects/{code}/records", response_model=RecordPage, summary="主体的信用记录（按角色和用途披露）"
)
def subject_records(
    code: str,
    category: str | None = Query(None, description="只看某一类别，如 行政处罚"),
    page: PageNo = 1,
    per_page: int = Query(20, ge=1, le=200),
    read: FileRead = Depends(file_read("records.list"), scope="function"),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> RecordPage:
    """A subject's records in the view the caller may see: the public view (public fields, in
    force, inside the window), the subject's own file, or the government view with a purpose."""
    subject_id, kind = _subject(session, code)
    access = read.open(subject_id)
    if access.public and kind == "natural_person":
        # No existence oracle: to the public a person's ID number answers as a code nobody has.
        raise subjects_service.subject_not_found(code)
    out = service.list_subject_records(
        session,
        subject_id,
        visibility=access.viewer,
        category=category,
        page=page,
        per_page=per_page,
        item_codes=None if access.public or principal.items is None else sorted(principal.items),
    )
    read.returned([r.item_code for r in out.items], result_count=len(out.items))
    return out


@router.get("/records/{record_id}", response_model=RecordView, summary="一条信用记录（按角色和用途披露）")
def record(
    record_id: DbId,
    read: FileRead = Depends(file_read("record.view"), scope="function"),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> RecordView:
    """The visible fields of the current version and the list of versions."""
    owner = service.get_record(session, record_id)
    access = read.open(owner.subject_id)
    if not access.public:
        principal.require_item(owner.item_code)
    out = service.view_record(session, record_id, visibility=access.viewer)
    read.returned([out.item_code], reference=f"record:{record_id}")
    return out
