"""Who is at the console's desk: the caller as plain values (staff see every department, a
provider its own), and the checks every page area makes on it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.core.errors import Forbidden, NotFound
from xinyong.core.procedures import Actor
from xinyong.ingest import service as ingest_service

PER_PAGE = 20
STAFF_ROLES = ("credit_office", "admin")


@dataclass(frozen=True)
class Desk:
    """The console user as plain values: staff see every department, a provider its own."""

    label: str  # user:zhangsan (kept with decisions)
    role: str
    provider_code: str | None = None
    provider_id: int | None = None
    provider_name: str | None = None
    department_code: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_provider(self) -> bool:
        return self.role == "provider"

    @property
    def actor(self) -> Actor:
        """The console user as the procedures (lists, casework) take it."""
        return Actor(self.label, self.role, provider_code=self.provider_code)


def desk_of(session: Session, principal: Principal) -> Desk:
    """The console's view of a principal (a provider account resolved to its ingest provider)."""
    provider_id = provider_name = None
    if principal.role == "provider" and principal.provider_code:
        try:
            info = ingest_service.get_provider(session, principal.provider_code)
            provider_id, provider_name = info.id, info.name
        except NotFound:
            provider_id = None
    return Desk(
        label=principal.label,
        role=principal.role,
        provider_code=principal.provider_code,
        provider_id=provider_id,
        provider_name=provider_name,
        department_code=principal.department_code or principal.provider_code,
    )


def _own_provider(desk: Desk) -> int | None:
    """The provider filter for reads: a provider's own id; None (every provider) for staff. A
    provider account with no ingest provider sees nothing."""
    if desk.is_staff:
        return None
    if desk.provider_id is None:
        raise Forbidden(
            "This account is not linked to a provider",
            "该账户未关联信息提供单位，无法查看报送数据",
            code="console.no_provider",
        )
    return desk.provider_id


def _require_provider(desk: Desk) -> int:
    """Acting on submissions (upload, correct, discard) is the provider's own business (谁提供、谁负责)."""
    if not desk.is_provider or desk.provider_id is None:
        raise Forbidden(
            "Only the providing department submits and corrects its data",
            "报送和更正数据由信息提供单位办理",
            code="console.provider_only",
        )
    return desk.provider_id
