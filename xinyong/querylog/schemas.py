"""Response shapes of the querylog API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PurposeOut(_Out):
    code: str = Field(description="查询用途代码（X-Purpose / purpose 的取值）")
    name_zh: str
    roles: list[str] = Field(description="可使用该用途的角色")
    description_zh: str
    effective_from: date
    source: str


class LogEntryOut(_Out):
    id: int
    logged_at: UtcDateTime
    actor: str = Field(description="查询人：user:<用户名> 或 key:<密钥前缀>")
    actor_kind: str
    user_id: int | None
    api_key_id: int | None
    department_id: int | None
    organisation: str = Field(description="查询单位")
    role: str
    purpose: str
    purpose_zh: str
    subject_id: int | None = Field(description="被查询主体")
    action: str = Field(description="查询内容，如 records.list、record.view、subject.view、check")
    channel: str
    items: list[str] = Field(description="返回的信息目录项代码")
    result_count: int
    reference: str | None
    client_ip: str | None


class LogPageOut(_Out):
    total: int
    page: int
    per_page: int
    items: list[LogEntryOut]


class ViewingOut(_Out):
    logged_at: UtcDateTime = Field(description="查询时间")
    organisation: str = Field(description="查询单位")
    role: str
    role_zh: str
    purpose: str
    purpose_zh: str = Field(description="查询用途")
    action: str
    items: list[str]


class ViewingPageOut(_Out):
    total: int
    page: int
    per_page: int
    items: list[ViewingOut]


class VolumeFlagOut(_Out):
    actor: str
    organisation: str
    role: str
    queries: int = Field(description="当日查询次数")
    subjects: int = Field(description="当日查询的不同主体数")
    max_queries: int
    max_subjects: int
    flagged: bool
    reasons: list[str]
