"""What the content domain answers (API and pages)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime

SECTIONS: dict[str, str] = {"notices": "通知公告", "policies": "政策法规", "news": "信用动态"}
STATUS_ZH: dict[str, str] = {"draft": "草稿", "published": "已发布"}


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


class PostSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    section: str
    section_zh: str
    title: str
    status: str
    status_zh: str
    published_at: UtcDateTime | None
    updated_at: UtcDateTime


class PostOut(PostSummary):
    body_md: str
    body_html: str
    author: str
    attachments: list[AttachmentOut]


class PostIn(BaseModel):
    section: str = Field(description="栏目：notices（通知公告）/ policies（政策法规）/ news（信用动态）")
    title: str = Field(min_length=1, max_length=200, description="标题")
    body_md: str = Field("", max_length=200_000, description="正文（Markdown）")


class PostPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[PostSummary]
