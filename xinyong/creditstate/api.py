"""HTTP API of the credit state (thin: it calls the service).

As for the records (``xinyong.records.api``): ``xinyong.querylog.service.access_for`` picks the
caller's view and every read at a non-public view is written to the query log."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden
from xinyong.creditstate import service
from xinyong.creditstate.schemas import CreditSummary
from xinyong.querylog import service as querylog
from xinyong.querylog.deps import requested_purpose
from xinyong.records.visibility import NATURAL_PERSON
from xinyong.subjects import service as subjects_service

# The route kept its place in the API (and its tag) when the state moved out of records.
router = APIRouter(prefix="/api/v1", tags=["records"])


@router.get("/subjects/{code}/credit-state", response_model=CreditSummary, summary="主体的信用状态")
def credit_state(
    code: str,
    purpose: str | None = Depends(requested_purpose),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> CreditSummary:
    """The credit state row. A natural person's state (it counts penalties) is not public."""
    subject = subjects_service.get_by_code(session, code)
    subject_id, kind = subject.id, subject.kind
    access = querylog.access_for(session, principal, subject_id, purpose)
    # A provider's view covers only its own records; the state row counts everyone's.
    if kind == NATURAL_PERSON and access.viewer.visibility in ("public", "provider"):
        raise Forbidden(
            "A natural person's credit state is not public",
            "自然人的信用状态不予公开",
            code="disclosure.not_public",
        )
    out = service.subject_summary(session, subject_id)
    querylog.log_access(
        session, access, subject_id, [], action="credit_state.view", reference=f"subject:{subject_id}"
    )
    return out
