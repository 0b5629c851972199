"""HTTP API of the credit state (thin: it calls the service).

As for the records (``xinyong.records.api``): the dependency ``access.deps.file_read`` picks the
caller's view and writes every read at a non-public view to the query log."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from xinyong.access.deps import file_read
from xinyong.access.service import FileRead
from xinyong.access.visibility import NATURAL_PERSON
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden
from xinyong.creditstate import service
from xinyong.creditstate.schemas import CreditSummary
from xinyong.subjects import service as subjects_service

# The route kept its place in the API (and its tag) when the state moved out of records.
router = APIRouter(prefix="/api/v1", tags=["records"])


@router.get("/subjects/{code}/credit-state", response_model=CreditSummary, summary="主体的信用状态")
def credit_state(
    code: str,
    read: FileRead = Depends(file_read("credit_state.view"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
) -> CreditSummary:
    """The credit state row. A natural person's state (it counts penalties) is not public."""
    subject = subjects_service.get_by_code(session, code)
    access = read.open(subject.id)
    if subject.kind == NATURAL_PERSON and access.public:
        # No existence oracle: to the public a person's code answers as a code nobody has.
        raise subjects_service.subject_not_found(code)
    # A provider's view covers only its own records; the state row counts everyone's.
    if subject.kind == NATURAL_PERSON and access.viewer.visibility in ("public", "provider"):
        raise Forbidden(
            "A natural person's credit state is not public",
            "自然人的信用状态不予公开",
            code="disclosure.not_public",
        )
    out = service.subject_summary(session, subject.id)
    read.returned([])
    return out
