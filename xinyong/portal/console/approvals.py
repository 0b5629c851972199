"""Department approval (待审核): the department's submissions whose records wait for its officer,
and the approval itself (from ``ingest.service``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xinyong.ingest import service as ingest_service
from xinyong.portal.console.desk import Desk, _require_provider
from xinyong.portal.console.monitor import _item_names


@dataclass
class PendingRow:
    submission: ingest_service.PendingSubmission
    item_name: str


@dataclass
class ApprovalsView:
    desk: Desk
    requires_approval: bool
    rows: list[PendingRow]


def approvals_view(session: Session, desk: Desk) -> ApprovalsView:
    """The caller's department: whether it requires approval, and what waits."""
    provider_id = _require_provider(desk)
    info = next(p for p in ingest_service.list_providers(session) if p.id == provider_id)
    names = _item_names()
    rows = [
        PendingRow(p, names.get(p.item_code, p.item_code))
        for p in ingest_service.pending_submissions(session, provider_id)
    ]
    return ApprovalsView(desk, info.requires_approval, rows)


def approve(session: Session, desk: Desk, submission_id: str) -> ingest_service.ApprovalResult:
    """The officer (a console account of the department) approves one submission."""
    _require_provider(desk)
    assert desk.provider_code is not None
    return ingest_service.approve_submission(
        session, submission_id, provider_code=desk.provider_code, officer=desk.label
    )
