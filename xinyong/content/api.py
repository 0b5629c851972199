"""``/api/v1/content``: the site's 通知公告, 政策法规 and 信用动态 (read by anyone; written by the
credit office with the ``content:write`` scope or from the console)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.content import service
from xinyong.content.schemas import AttachmentOut, PostIn, PostOut, PostPage
from xinyong.core.deps import get_session

router = APIRouter(prefix="/api/v1/content", tags=["content"])
_MAX_ID = 2**63 - 1


def _by(principal: Principal) -> str:
    return principal.display_name or principal.username or principal.role


@router.get("/posts", response_model=PostPage, summary="已发布的文章列表")
def list_posts(
    section: str | None = Query(None, description="栏目：notices / policies / news"),
    page: int = Query(1, ge=1, le=10_000),
    per_page: int = Query(20, ge=1, le=100),
    session: Session = Depends(get_session, scope="function"),
) -> PostPage:
    return service.list_posts(session, section=section, page=page, per_page=per_page)


@router.get("/posts/{post_id}", response_model=PostOut, summary="一篇已发布的文章")
def get_post(
    post_id: int = Path(..., ge=1, le=_MAX_ID), session: Session = Depends(get_session, scope="function")
) -> PostOut:
    return service.get_post(session, post_id)


@router.get("/attachments/{attachment_id}", summary="下载已发布文章的附件")
def get_attachment(
    attachment_id: int = Path(..., ge=1, le=_MAX_ID),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    meta, data = service.get_attachment(session, attachment_id)
    return Response(
        data,
        media_type=meta.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/posts", response_model=PostOut, status_code=201, summary="新建文章（草稿）")
def create_post(
    body: PostIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> PostOut:
    out = service.create_post(
        session, section=body.section, title=body.title, body_md=body.body_md, author=_by(principal)
    )
    session.commit()
    return out


@router.put("/posts/{post_id}", response_model=PostOut, summary="修改文章")
def update_post(
    body: PostIn,
    post_id: int = Path(..., ge=1, le=_MAX_ID),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> PostOut:
    out = service.update_post(
        session, post_id, section=body.section, title=body.title, body_md=body.body_md, author=_by(principal)
    )
    session.commit()
    return out


@router.post("/posts/{post_id}/publish", response_model=PostOut, summary="发布文章（记入账本）")
def publish_post(
    post_id: int = Path(..., ge=1, le=_MAX_ID),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> PostOut:
    out = service.publish_post(session, post_id, by=_by(principal))
    session.commit()
    return out


@router.post(
    "/posts/{post_id}/attachments", response_model=AttachmentOut, status_code=201, summary="上传附件"
)
async def add_attachment(
    post_id: int = Path(..., ge=1, le=_MAX_ID),
    file: UploadFile = File(...),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> AttachmentOut:
    data = await file.read(service.MAX_ATTACHMENT_BYTES + 1)
    out = service.add_attachment(
        session, post_id, filename=file.filename or "附件", data=data, by=_by(principal)
    )
    session.commit()
    return out
