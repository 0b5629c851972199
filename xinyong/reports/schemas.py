"""Pydantic shapes of the reports API. Datetimes leave as RFC 3339 with an offset."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime

# Issue and use times as RFC 3339 with offset (SQLite hands back naive UTC): the shared type.
Moment = UtcDateTime


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=64, description="信用主体的统一社会信用代码或身份证号码")
    kind: Literal["public", "special"] = Field(
        "public", description="public 公共信用信息报告；special 专项信用报告"
    )
    field: str | None = Field(
        None, max_length=32, description="专项信用报告的领域，如 市场监管、税务（见 /api/v1/reports/fields）"
    )
    period_from: date | None = Field(None, description="专项信用报告的查询期间起始日（默认：近 3 年）")
    period_to: date | None = Field(None, description="专项信用报告的查询期间截止日（默认：今天）")


class IssuedOut(_Out):
    number: str = Field(description="报告编号")
    check_code: str = Field(description="验证码（与报告编号一起在 /verify 核验）")
    kind: str
    field: str | None
    scope: str = Field(description="full 完整（本人、窗口、经授权的第三方）；public 仅公开信息")
    channel: str = Field(description="self 本人；window 窗口；authorised 经授权的第三方；public 公开信息报告")
    subject_name: str
    issued_at: Moment
    valid_until: date
    sha256: str = Field(description="报告文件的 SHA-256（已记入账本）")
    size: int
    counts: dict[str, int] = Field(description="各部分信息条数")
    found: int = Field(description="专项信用报告：查到的违法违规记录条数")
    download_url: str
    verify_url: str


class VerificationOut(_Out):
    status: Literal["valid", "altered", "expired", "unknown"]
    status_zh: str
    reason_zh: str
    number: str | None = None
    kind_zh: str = ""
    subject_name: str | None = None
    subject_code: str | None = None
    issued_at: Moment | None = None
    valid_until: date | None = None
    registered_sha256: str | None = Field(None, description="平台登记的报告文件 SHA-256")
    file_sha256: str | None = Field(None, description="所上传文件的 SHA-256")


class RegisterRowOut(_Out):
    number: str
    kind: str
    kind_zh: str
    field: str | None
    scope_zh: str
    subject_name: str
    subject_code: str
    issued_at: Moment
    valid_until: date
    channel: str
    channel_zh: str
    organisation: str
    sha256: str
    size: int
    counts: dict[str, int]
    found: int


class RegisterPageOut(_Out):
    total: int
    page: int
    per_page: int
    items: list[RegisterRowOut]


class UseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=32, description="所使用的信用报告编号")
    matter: str = Field(
        min_length=1,
        max_length=64,
        description="应用事项（信用报告应用事项清单，见 /api/v1/reports/matters）",
    )
    used_on: date | None = Field(None, description="使用日期（默认今天）")
    note: str = Field("", max_length=500)


class UseOut(_Out):
    id: int
    number: str
    matter: str
    matter_zh: str
    agency: str
    used_on: date
    note: str
    recorded_at: Moment


class AuthorisationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grantee_department: str | None = Field(None, max_length=64, description="被授权单位（部门代码）")
    grantee_username: str | None = Field(None, max_length=120, description="被授权用户名")
    kinds: list[Literal["public", "special"]] = Field(min_length=1, max_length=2)
    field: str | None = Field(None, max_length=32, description="只授权某一领域的专项信用报告")
    purpose_zh: str = Field(min_length=1, max_length=200, description="授权用途，如 贷款审批")
    expires_on: date


class AuthorisationOut(_Out):
    id: int
    grantee: str
    grantee_kind: str
    kinds: list[str]
    kinds_zh: str
    field: str | None
    purpose_zh: str
    expires_on: date
    created_at: Moment
    revoked_at: Moment | None
    uses: int
    active: bool


class MatterOut(BaseModel):
    code: str
    name_zh: str
    kinds: list[str]


class FieldOut(BaseModel):
    code: str
    name_zh: str
    items: list[str]
    departments: list[str]
