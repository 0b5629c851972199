"""Request and response shapes of the accounts API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from xinyong.core.params import UtcDateTime


class PrincipalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="user | api_key")
    role: str
    role_zh: str
    username: str | None
    display_name: str
    department_code: str | None
    department_name: str | None
    provider_code: str | None
    subject_id: int | None
    api_key_prefix: str | None
    scopes: list[str]
    items: list[str] | None


class DepartmentIn(BaseModel):
    code: str = Field(min_length=2, max_length=32, examples=["tz_scjgj"])
    name: str = Field(min_length=1, max_length=200, examples=["台州市市场监督管理局"])
    provider_code: str | None = Field(None, description="the ingest provider this department submits as")


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    provider_code: str | None
    active: bool
    created_at: UtcDateTime


class UserIn(BaseModel):
    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    role: str = Field(examples=["regulator"])
    password: str = Field(min_length=1, max_length=200)
    department_code: str | None = None
    provider_code: str | None = None
    subject_code: str | None = Field(None, description="subject accounts: the subject's USCC or ID number")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    role_zh: str
    department_code: str | None
    department_name: str | None
    provider_code: str | None
    subject_id: int | None
    bound_by: str | None
    active: bool
    locked_until: UtcDateTime | None
    last_login_at: UtcDateTime | None
    created_at: UtcDateTime


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="the system that uses the key")
    role: str = Field(examples=["provider"])
    scopes: list[str] | None = Field(None, description="default: the role's default scopes")
    items: list[str] = Field(default_factory=list, description="catalog items; empty = no item limit")
    department_code: str | None = None
    provider_code: str | None = None
    username: str | None = None
    subject_code: str | None = None
    expires_in_days: int | None = Field(None, ge=0, le=36_500, description="0 = never; default from settings")


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str
    name: str
    role: str
    status: str
    department_code: str | None
    provider_code: str | None
    username: str | None
    subject_id: int | None
    scopes: list[str]
    items: list[str]
    expires_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    rotated_from_id: int | None
    created_by: str
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the API key itself: shown once, never stored")


class RotateIn(BaseModel):
    grace_minutes: int = Field(0, ge=0, le=7 * 24 * 60, description="old key keeps working this long")
