"""Who is asking: the ``Principal`` every request carries (a user, an API key, or anonymous).

Other domains read it through the ``current_principal`` dependency (``xinyong.accounts.deps``) or
receive it from their router and pass the plain values it holds to their services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from xinyong.core.errors import Forbidden

# Roles (GLOSSARY / DESIGN "Who uses it"). ``public`` is the anonymous caller.
ROLES: tuple[str, ...] = ("public", "subject", "provider", "regulator", "credit_office", "bank", "admin")
ACCOUNT_ROLES: tuple[str, ...] = ROLES[1:]
ROLE_NAMES_ZH: dict[str, str] = {
    "public": "社会公众",
    "subject": "信用主体",
    "provider": "信息提供单位",
    "regulator": "监管部门",
    "credit_office": "信用办（平台运营）",
    "bank": "金融机构",
    "admin": "系统管理员",
}
# Roles that act for a government body (政务共享 information, purposes of administration).
GOVERNMENT_ROLES: frozenset[str] = frozenset({"provider", "regulator", "credit_office", "admin"})


@dataclass(frozen=True)
class Principal:
    """The caller of one request. Frozen: a handler cannot widen its own rights."""

    role: str = "public"
    kind: str = "anonymous"  # anonymous | user | api_key
    user_id: int | None = None
    username: str | None = None
    display_name: str = ""
    department_id: int | None = None
    department_code: str | None = None
    department_name: str | None = None
    provider_code: str | None = None  # the ingest provider the caller submits as
    subject_id: int | None = None  # subject accounts: the subject they speak for
    api_key_id: int | None = None
    api_key_prefix: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)  # API keys only
    items: frozenset[str] | None = None  # API keys limited to catalog items; None = no limit
    session_id: int | None = None
    csrf_token: str | None = None  # portal sessions only
    client_ip: str | None = None
    # API keys: when the key stops working by its own expiry (None: no expiry).
    credential_expires_at: datetime | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def via_session(self) -> bool:
        return self.kind == "user" and self.session_id is not None

    @property
    def is_government(self) -> bool:
        return self.role in GOVERNMENT_ROLES

    @property
    def label(self) -> str:
        """Who, for logs and the ledger: ``user:zhangsan``, ``key:3f2a…``, ``anonymous``."""
        if self.kind == "user":
            return f"user:{self.username}"
        if self.kind == "api_key":
            return f"key:{self.api_key_prefix}"
        return "anonymous"

    @property
    def organisation(self) -> str:
        return self.department_name or ""

    def has_scope(self, scope: str) -> bool:
        return self.kind != "api_key" or scope in self.scopes

    def may_use_item(self, item_code: str) -> bool:
        """Whether an API key limited to catalog items may act on ``item_code``."""
        return self.items is None or item_code in self.items

    def require_item(self, item_code: str) -> None:
        if not self.may_use_item(item_code):
            raise Forbidden(
                f"This API key is not allowed for catalog item {item_code!r}",
                f"该 API 密钥无权处理目录项“{item_code}”",
                code="auth.item_denied",
                item=item_code,
            )

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(
                f"Role {self.role!r} may not do this",
                f"当前角色（{ROLE_NAMES_ZH.get(self.role, self.role)}）无权执行此操作",
                code="auth.role_denied",
                role=self.role,
                allowed=list(roles),
            )


ANONYMOUS = Principal()
