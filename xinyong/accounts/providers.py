"""Providers (信息提供单位): departments that submit records, the catalog items each may send, and
their keys (API keys of the provider's department). Kept in accounts, below records and ingest,
because records name their provider and access gives a provider's officers their own department's
view; ingest asks here who may submit what."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.api_keys import issue_provider_key, resolve_api_key
from xinyong.accounts.departments import (
    provider_department,
    register_provider_department,
    set_department_active,
)
from xinyong.accounts.models import Provider, ProviderItem
from xinyong.accounts.views import ProviderInfo
from xinyong.catalog.service import Catalog, CatalogItem, get_catalog
from xinyong.core import identifiers
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from xinyong.ledger import service as ledger


def _items_of(session: Session, provider_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ProviderItem.item_code)
            .where(ProviderItem.provider_id == provider_id)
            .order_by(ProviderItem.item_code)
        )
    )


def _info(session: Session, p: Provider) -> ProviderInfo:
    return ProviderInfo(
        id=p.id,
        code=p.code,
        name=p.name,
        uscc=p.uscc,
        active=p.active,
        items=_items_of(session, p.id),
        created_at=p.created_at,
        requires_approval=bool(p.requires_approval),
    )


def _check_items(catalog: Catalog, items: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(items))
    for code in codes:
        catalog.item(code)  # NotFound catalog.unknown_item
    return codes


def create_provider(
    session: Session, code: str, name: str, uscc: str | None = None, items: Iterable[str] = ()
) -> tuple[ProviderInfo, str]:
    """Register a department; returns its info and the API key (shown once, stored hashed). The
    provider is a department of accounts with keys: its department and its key are made there."""
    code = code.strip()
    name = name.strip()
    if not code or not name:
        raise InvalidInput(
            "Provider code and name are required", "单位编码和名称不能为空", code="ingest.provider_invalid"
        )
    if session.scalar(select(Provider.id).where(Provider.code == code)) is not None:
        raise Conflict(
            f"Provider {code!r} already exists",
            f"信息提供单位“{code}”已存在",
            code="ingest.provider_exists",
            value=code,
        )
    if uscc:
        uscc = uscc.strip().upper()
        res = identifiers.check_uscc(uscc)
        if not res.valid:
            raise InvalidInput(
                "Not a valid unified social credit code",
                f"单位统一社会信用代码无效：{res.message_zh or res.error}",
                code="ingest.provider_invalid",
                field="uscc",
                value=uscc,
                rule=res.error,
            )
    item_codes = _check_items(get_catalog(), items)
    p = Provider(code=code, name=name, uscc=uscc or None)
    session.add(p)
    session.flush()
    for item in item_codes:
        session.add(ProviderItem(provider_id=p.id, item_code=item))
    session.flush()
    register_provider_department(session, p.code, p.name)
    _, api_key = issue_provider_key(session, p.code)
    return _info(session, p), api_key


def _provider(session: Session, ref: ProviderInfo | Provider | str | int) -> Provider:
    if isinstance(ref, Provider):
        return ref
    if isinstance(ref, ProviderInfo):
        ref = ref.id
    p = (
        session.get(Provider, ref)
        if isinstance(ref, int)
        else session.scalar(select(Provider).where(Provider.code == ref))
    )
    if p is None:
        raise NotFound(
            f"Unknown provider {ref!r}",
            f"信息提供单位“{ref}”不存在",
            code="ingest.unknown_provider",
            value=ref,
        )
    return p


def get_provider(session: Session, ref: ProviderInfo | str | int) -> ProviderInfo:
    """The provider by code or id (``NotFound ingest.unknown_provider``)."""
    return _info(session, _provider(session, ref))


def provider_codes(session: Session) -> dict[int, str]:
    """Every provider's code by id (a city has dozens of departments, not thousands)."""
    # Rows unpack as tuples (SQLAlchemy 2.1 deprecates Result.tuples()).
    return {pid: code for pid, code in session.execute(select(Provider.id, Provider.code))}


def list_providers(session: Session) -> list[ProviderInfo]:
    return [_info(session, p) for p in session.scalars(select(Provider).order_by(Provider.code))]


def authenticate(session: Session, api_key: str | None) -> ProviderInfo:
    """The provider whose key ``api_key`` is (accounts says who the caller is), or
    ``Unauthorized``."""
    bad = Unauthorized("Missing or invalid API key", "API 密钥缺失或无效", code="ingest.invalid_api_key")
    if not api_key:
        raise bad
    try:
        principal = resolve_api_key(session, api_key)
    except Unauthorized:
        raise bad from None
    if principal.provider_code is None:
        raise bad
    p = _provider(session, principal.provider_code)
    if not p.active:
        raise Forbidden(
            "The provider is deactivated", "该信息提供单位已停用", code="ingest.provider_inactive"
        )
    return _info(session, p)


def rotate_key(session: Session, code: str) -> tuple[ProviderInfo, str]:
    """A new API key; the old one stops working at once."""
    p = _provider(session, code)
    _, api_key = issue_provider_key(session, p.code)
    return _info(session, p), api_key


def set_items(session: Session, code: str, items: Iterable[str]) -> ProviderInfo:
    """Replace the catalog items a provider is registered to submit."""
    p = _provider(session, code)
    wanted = set(_check_items(get_catalog(), items))
    current = {
        pi.item_code: pi
        for pi in session.scalars(select(ProviderItem).where(ProviderItem.provider_id == p.id))
    }
    for item, row in current.items():
        if item not in wanted:
            session.delete(row)
    for item in sorted(wanted - current.keys()):
        session.add(ProviderItem(provider_id=p.id, item_code=item))
    session.flush()
    return _info(session, p)


def set_active(session: Session, code: str, active: bool) -> ProviderInfo:
    """Stop (or resume) a provider's submissions; its department, and so its keys and accounts,
    stop (resume) with it."""
    p = _provider(session, code)
    p.active = active
    session.flush()
    set_department_active(session, provider_department(session, p.code).code, active)
    return _info(session, p)


def ensure_may_submit(session: Session, provider: ProviderInfo, item: CatalogItem) -> None:
    """Refuse a submission of ``item`` by ``provider`` if it is deactivated or not registered for
    the item (``Forbidden``)."""
    p = _provider(session, provider.id)
    if not p.active:
        raise Forbidden(
            "The provider is deactivated", "该信息提供单位已停用", code="ingest.provider_inactive"
        )
    allowed = session.scalar(
        select(ProviderItem.id).where(ProviderItem.provider_id == p.id, ProviderItem.item_code == item.code)
    )
    if allowed is None:
        raise Forbidden(
            f"Provider {p.code!r} is not registered to submit {item.code!r}",
            f"“{p.name}”未登记报送“{item.name_zh}”目录项，无权提交",
            code="ingest.item_not_allowed",
            provider=p.code,
            item=item.code,
        )


def set_requires_approval(session: Session, code: str, required: bool, *, by: str) -> ProviderInfo:
    """Switch the department's approval on or off (ledgered); commits. Records already waiting
    stay pending until approved."""
    p = _provider(session, code)
    if bool(p.requires_approval) != required:
        p.requires_approval = required
        ledger.append(
            session,
            "provider.approval_setting",
            f"provider:{p.code}",
            {"provider": p.code, "requires_approval": required, "by": by},
        )
    session.commit()
    return _info(session, p)
