"""The provider's upload page: submit a file and see its problems (from ``ingest.service``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings
from xinyong.ingest import service as ingest_service
from xinyong.ingest.service import SubmissionResult
from xinyong.portal.console.desk import Desk, _require_provider
from xinyong.portal.console.monitor import (
    ROW_ERRORS_PER_PAGE,
    ProblemRow,
    _file_errors,
    _item_names,
    problem_rows,
)
from xinyong.portal.service import Option


@dataclass
class UploadView:
    desk: Desk
    items: list[Option]  # the catalog items the provider may submit
    item: str
    result: SubmissionResult | None
    problems: list[ProblemRow]
    file_errors: list[str]
    max_mb: int


def upload_view(session: Session, desk: Desk, *, item: str = "", submission_id: str = "") -> UploadView:
    own = _require_provider(desk)
    info = ingest_service.get_provider(session, desk.provider_code or "")
    names = _item_names()
    options = [Option(code, names.get(code, code)) for code in info.items]
    result = None
    problems: list[ProblemRow] = []
    if submission_id:
        result = ingest_service.get_submission(session, submission_id, provider_id=own)
        rows = ingest_service.list_submission_rows(
            session, submission_id, provider_id=own, problems_only=True, per_page=ROW_ERRORS_PER_PAGE
        )
        quarantined = ingest_service.list_quarantine(
            session, submission_id=submission_id, status=None, per_page=500
        )
        problems = problem_rows(rows.items, result.item_code, {q.row_number: q for q in quarantined.items})
        item = item or result.item_code
    return UploadView(
        desk=desk,
        items=options,
        item=item if item in info.items else (info.items[0] if len(info.items) == 1 else ""),
        result=result,
        problems=problems,
        file_errors=_file_errors(result) if result else [],
        max_mb=max(1, get_settings().max_upload_bytes // (1024 * 1024)),
    )


def upload(
    session: Session, desk: Desk, item_code: str, filename: str | None, stream: IO[bytes] | None
) -> SubmissionResult:
    """Submit a file for the provider (CSV/XLSX/JSON). A rejected file raises the ingest error
    (its ``details`` name the failed submission kept with the reason)."""
    own = _require_provider(desk)
    if not item_code:
        raise InvalidInput(
            "Choose the catalog item", "请选择报送的信息类别", code="console.item_required", field="item"
        )
    if not filename or stream is None:
        raise InvalidInput("Choose a file", "请选择要上传的文件", code="console.file_required", field="file")
    return ingest_service.submit_file(session, own, item_code, stream, filename)
