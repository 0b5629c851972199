"""Content sections (通知公告, 政策法规, 信用动态): staff write Markdown, the platform keeps the
sanitised HTML next to it; publishing is written to the ledger; attachments are accepted by what
their bytes are, never by their name."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.content.models import ContentAttachment, ContentPost
from xinyong.content.schemas import SECTIONS, STATUS_ZH, AttachmentOut, PostOut, PostPage, PostSummary
from xinyong.core.errors import InvalidInput, NotFound, TooLarge
from xinyong.core.paging import check_page, paged
from xinyong.ledger import service as ledger

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_PER_PAGE = 100
# Tags a post may use after sanitising (Markdown's output); scripts, styles, iframes, event
# handlers and javascript: links are removed by nh3 whatever the author typed.
_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "del", "blockquote", "code", "pre",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> str:
    """Markdown → HTML safe to put on a page (raw HTML in the source is never passed through)."""
    return nh3.clean(
        _MD.render(text or ""),
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _check_section(section: str) -> None:
    if section not in SECTIONS:
        raise InvalidInput(
            f"Unknown section {section!r}",
            f"没有栏目“{section}”",
            code="content.unknown_section",
            field="section",
            value=section,
            valid=[f"{k}（{v}）" for k, v in SECTIONS.items()],
        )


def _summary(post: ContentPost) -> PostSummary:
    return PostSummary(
        id=post.id,
        section=post.section,
        section_zh=SECTIONS[post.section],
        title=post.title,
        status=post.status,
        status_zh=STATUS_ZH.get(post.status, post.status),
        published_at=_aware(post.published_at),
        updated_at=_aware(post.updated_at) or datetime.now(UTC),
    )


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were written in UTC.
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def _out(session: Session, post: ContentPost) -> PostOut:
    files = session.scalars(
        select(ContentAttachment).where(ContentAttachment.post_id == post.id).order_by(ContentAttachment.id)
    )
    return PostOut(
        **_summary(post).model_dump(),
        body_md=post.body_md,
        body_html=post.body_html,
        author=post.author,
        attachments=[AttachmentOut.model_validate(f) for f in files],
    )


def _post(session: Session, post_id: int, *, published_only: bool) -> ContentPost:
    post = session.get(ContentPost, post_id)
    if post is None or (published_only and post.status != "published"):
        raise NotFound(f"No post {post_id}", f"没有编号为 {post_id} 的文章", code="content.not_found")
    return post


def create_post(session: Session, *, section: str, title: str, body_md: str, author: str) -> PostOut:
    """A new draft; the caller commits."""
    _check_section(section)
    title = title.strip()
    if not title:
        raise InvalidInput(
            "A title is required", "标题不能为空", code="content.title_required", field="title"
        )
    post = ContentPost(
        section=section, title=title, body_md=body_md, body_html=render_markdown(body_md), author=author
    )
    session.add(post)
    session.flush()
    return _out(session, post)


def update_post(
    session: Session, post_id: int, *, section: str, title: str, body_md: str, author: str
) -> PostOut:
    """Edit a post (a published one stays published and the edit is written to the ledger)."""
    _check_section(section)
    post = _post(session, post_id, published_only=False)
    post.section, post.title, post.body_md = section, title.strip() or post.title, body_md
    post.body_html = render_markdown(body_md)
    post.author = author or post.author
    post.updated_at = datetime.now(UTC)
    if post.status == "published":
        _ledger(session, "content.updated", post)
    session.flush()
    return _out(session, post)


def _ledger(session: Session, kind: str, post: ContentPost) -> None:
    ledger.append(
        session,
        kind,
        f"content:{post.id}",
        {
            "post_id": post.id,
            "section": post.section,
            "title": post.title,
            "body_sha256": hashlib.sha256(post.body_md.encode("utf-8")).hexdigest(),
            "by": post.author,
        },
    )


def publish_post(session: Session, post_id: int, *, by: str) -> PostOut:
    """Publish a draft: it shows on the public pages; the ledger keeps what was published."""
    post = _post(session, post_id, published_only=False)
    if post.status != "published":
        post.status = "published"
        post.published_at = datetime.now(UTC)
        post.author = by or post.author
        _ledger(session, "content.published", post)
        session.flush()
    return _out(session, post)


def unpublish_post(session: Session, post_id: int, *, by: str) -> PostOut:
    post = _post(session, post_id, published_only=False)
    if post.status == "published":
        post.status = "draft"
        ledger.append(session, "content.unpublished", f"content:{post.id}", {"post_id": post.id, "by": by})
        session.flush()
    return _out(session, post)


def list_posts(
    session: Session,
    *,
    section: str | None = None,
    published_only: bool = True,
    page: int = 1,
    per_page: int = 20,
) -> PostPage:
    """Posts newest first (published ones by publishing date)."""
    if section is not None:
        _check_section(section)
    check_page(page, per_page, limit=MAX_PER_PAGE, code="content.bad_page")
    conditions = []
    if section is not None:
        conditions.append(ContentPost.section == section)
    if published_only:
        conditions.append(ContentPost.status == "published")
    order = (
        (ContentPost.published_at.desc(), ContentPost.id.desc())
        if published_only
        else (ContentPost.id.desc(),)
    )
    total, rows = paged(session, ContentPost, conditions, order, page, per_page)
    return PostPage(total=total, page=page, per_page=per_page, items=[_summary(p) for p in rows])


def get_post(session: Session, post_id: int, *, published_only: bool = True) -> PostOut:
    return _out(session, _post(session, post_id, published_only=published_only))


def latest(session: Session, n: int = 5) -> list[PostSummary]:
    """The newest published posts of every section (the home page)."""
    return list_posts(session, published_only=True, per_page=n).items


# --- attachments -----------------------------------------------------------------------------

ALLOWED_KINDS = "PDF、DOCX、XLSX、PNG、JPEG、GIF"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a file by its bytes, or None when it is not an allowed kind."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", ".gif"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return _DOCX, ".docx"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return _XLSX, ".xlsx"
    return None


def add_attachment(session: Session, post_id: int, *, filename: str, data: bytes, by: str) -> AttachmentOut:
    """Attach a file to a post after checking what it is by its content (the name may lie)."""
    post = _post(session, post_id, published_only=False)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(
            "Attachment too large",
            f"附件不能超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
            code="content.attachment_too_large",
            field="file",
            value=len(data),
        )
    kind = sniff(data)
    if kind is None:
        raise InvalidInput(
            "Attachment type not allowed",
            f"附件“{filename}”不是允许的文件类型（只接受 {ALLOWED_KINDS}，按文件内容判断）",
            code="content.attachment_type",
            field="file",
            value=filename,
            valid=ALLOWED_KINDS,
        )
    media_type, ext = kind
    stem = (filename or "附件").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = (
        stem
        if stem.lower().endswith(ext) or (ext == ".jpg" and stem.lower().endswith(".jpeg"))
        else stem + ext
    )
    row = ContentAttachment(
        post_id=post.id,
        filename=name[:200],
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    session.add(row)
    session.flush()
    if post.status == "published":
        ledger.append(
            session,
            "content.attachment_added",
            f"content:{post.id}",
            {"post_id": post.id, "attachment_id": row.id, "sha256": row.sha256, "by": by},
        )
    return AttachmentOut.model_validate(row)


def get_attachment(
    session: Session, attachment_id: int, *, published_only: bool = True
) -> tuple[AttachmentOut, bytes]:
    row = session.get(ContentAttachment, attachment_id)
    if row is None:
        raise NotFound("No attachment", "没有该附件", code="content.attachment_not_found")
    _post(session, row.post_id, published_only=published_only)  # a draft's files are not public
    return AttachmentOut.model_validate(row), row.data
