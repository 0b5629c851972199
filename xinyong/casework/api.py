"""What the routers of the case procedures (objections, repairs, commitments, declarations) share:
the caller as a casework :class:`~xinyong.casework.service.Actor`, the parameters they declare
alike, the subject-code lookup, and the routes that are the same in every procedure (progress by
查询码, attachment upload and download). Each router keeps its own paths, summaries, response models
and service calls; the access policy stays in ``xinyong/accounts/policy.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from xinyong.accounts.deps import CurrentActor, current_actor
from xinyong.casework.schemas import TrackView
from xinyong.casework.service import Actor, CaseRef, attachment_content
from xinyong.core.deps import get_session
from xinyong.core.errors import NotFound
from xinyong.core.params import DB_ID_MAX
from xinyong.subjects import service as subjects_service

CaseActor = CurrentActor  # the caller as the procedures' services take it

# The bounds these routes have always declared (core.params.DbId/PageNo add a description and a
# larger page limit, which would change the published OpenAPI of the procedures).
CaseId = Annotated[int, Path(ge=1, le=DB_ID_MAX)]
"""A case's (or an attachment's) id in a path."""
OptionalId = Annotated[int | None, Query(ge=1, le=DB_ID_MAX)]
"""An optional row id in the query string (a subject, a record, a list procedure)."""
Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]
CaseStatus = Annotated[str | None, Query(max_length=16, description="状态；open = 办理中")]
SubjectCode = Annotated[str | None, Query(max_length=40, description="主体代码")]


def subject_id_of(session: Session, code: str | None) -> int | None:
    """The id of the subject a request names by its code (USCC or ID number); None when it names
    none; an unknown code is 404 (``subject.not_found``), not an empty answer."""
    return subjects_service.get_by_code(session, code.strip()).id if code else None


def add_track_route(router: APIRouter, find: Callable[[Session, str], TrackView | None]) -> None:
    """``GET /track``: a case's progress by its 查询码, without login (``find(session, code)``, the
    procedure's ``service.track``). Add it before the ``/{case_id}`` routes, which would otherwise
    take "track" for an id."""

    @router.get("/track", response_model=TrackView, summary="凭查询码查询办理进度（无需登录）")
    def track(
        code: str = Query(..., min_length=1, max_length=40),
        session: Session = Depends(get_session, scope="function"),
    ) -> TrackView:
        found = find(session, code)
        if found is None:
            raise NotFound(
                "No case with this lookup code", "查询码不正确或不存在", code="casework.lookup_code_unknown"
            )
        return found


def add_attachment_routes(
    router: APIRouter,
    *,
    id_name: str,
    kind: str,
    view: type[BaseModel],
    upload_summary: str,
    get_case: Callable[..., BaseModel],
    add: Callable[..., BaseModel],
) -> None:
    """``POST /{id_name}/attachments`` (upload a proof, 201, answers the case as ``view``) and
    ``GET /{id_name}/attachments/{attachment_id}`` (download one). ``id_name`` is the router's
    path parameter (``objection_id`` …); ``get_case(session, id, actor=)`` refuses a case the
    caller may not see, ``add(session, id, filename, content, actor=)`` keeps the upload."""
    path = f"/{{{id_name}}}/attachments"

    @router.post(path, response_model=view, status_code=201, summary=upload_summary)
    async def add_attachment(
        case_id: int = Path(alias=id_name, ge=1, le=DB_ID_MAX),
        file: UploadFile = File(..., description="PDF、JPG 或 PNG（按文件内容识别）"),
        session: Session = Depends(get_session, scope="function"),
        actor: Actor = Depends(current_actor),
    ) -> Any:
        content = await file.read()
        return add(session, case_id, file.filename or "附件", content, actor=actor)

    @router.get(f"{path}/{{attachment_id}}", summary="下载附件")
    def attachment(
        case_id: int = Path(alias=id_name, ge=1, le=DB_ID_MAX),
        attachment_id: int = Path(ge=1, le=DB_ID_MAX),
        session: Session = Depends(get_session, scope="function"),
        actor: Actor = Depends(current_actor),
    ) -> Response:
        get_case(session, case_id, actor=actor)
        meta, content = attachment_content(session, CaseRef(kind, case_id), attachment_id)
        return Response(content, media_type=meta.media_type, headers={"Content-Disposition": "attachment"})
