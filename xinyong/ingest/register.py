"""Register items (登记注册): a validated row of ``register_enterprise`` or ``register_relation``
is applied to the subjects through the subjects service before it is stored as a record version,
so the register arrives by the normal submissions path (API, CSV, XLSX) and its history is the
records' history. A row the subjects service refuses is rejected like any invalid row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog.service import CatalogItem, FieldSpec
from xinyong.core.dates import as_date
from xinyong.ingest.validation import RowCheck
from xinyong.subjects import service as subjects_service

_PERCENT = Decimal(100)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _label(spec: FieldSpec | None, code: Any) -> str | None:
    if code is None:
        return None
    if spec is not None:
        label = spec.enum_label(str(code))
        if label is not None:
            return label
    return str(code)


def apply_row(session: Session, item: CatalogItem, chk: RowCheck, subject_id: int, source: str) -> None:
    """Apply one valid register row to the subjects (raises the subjects service's errors)."""
    data = chk.data
    if item.register_kind == "enterprise":
        subjects_service.apply_register_entry(
            session,
            subject_id,
            name=chk.subject_name or "",
            kind=chk.subject_kind,
            legal_representative=data.get("legal_representative"),
            registered_capital=_decimal(data.get("registered_capital")),
            registered_on=as_date(data.get("founded_on")),
            address=data.get("address"),
            industry_code=data.get("industry_code"),
            status=data.get("status"),
            division_code=data.get("division_code"),
            approved_on=as_date(data.get("decision_date")),
            source=source,
        )
        return
    category = data.get("related_category")
    label = _label(item.field("related_category") if item.has_field("related_category") else None, category)
    related_uscc = data.get("related_uscc")
    related_id = chk.other_ids.get("related_id_number")
    if label is None:
        label = "自然人" if related_id and not related_uscc else None
    ratio = _decimal(data.get("share_ratio"))
    subjects_service.apply_register_relation(
        session,
        subject_id,
        role=str(data.get("relation_kind")),
        related_name=str(data.get("related_name") or ""),
        related_kind=subjects_service.kind_from_category(label, related_uscc),
        related_uscc=related_uscc,
        related_id_number=related_id,
        share_ratio=ratio / _PERCENT if ratio is not None else None,
        since=as_date(data.get("since")),
        until=as_date(data.get("until")),
        source=f"登记关联关系：{chk.document_number}",
    )


def _subject_fields(chk: RowCheck) -> dict[str, Any]:
    """A register row as ``subjects_service.create_subjects`` keywords."""
    data = chk.data
    return {
        "kind": chk.subject_kind or "enterprise",
        "name": chk.subject_name,
        "uscc": chk.uscc,
        "legal_representative": data.get("legal_representative"),
        "registered_capital": _decimal(data.get("registered_capital")),
        "registered_on": as_date(data.get("founded_on")),
        "address": data.get("address"),
        "industry": subjects_service.industry_section(data.get("industry_code")),
        "status": data.get("status"),
        "division_code": (data.get("division_code") or "")[:6] or None,
    }


def register_subjects(
    session: Session, checks: list[RowCheck], positions: list[int], size: int
) -> tuple[list[int | None], set[int]]:
    """The subjects of a batch of register rows (at ``positions`` of a batch of ``size``): a
    known code is its subject (the register is the registration source, so a new name renames
    it rather than opening a 重码 case); new codes are registered in bulk with the row's data.
    Answers the subject per position and the positions registered here (already up to date)."""
    out: list[int | None] = [None] * size
    new: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for pos, chk in zip(positions, checks, strict=True):
        found = subjects_service.find_by_code(session, chk.uscc or "")
        if found is not None:
            out[pos] = found.id
        elif chk.uscc in seen:
            # The same new code twice in one batch: the later row updates what the first made.
            out[pos] = -1
        else:
            seen.add(chk.uscc or "")
            new.append((pos, _subject_fields(chk)))
    fresh: set[int] = set()
    if new:
        ids = subjects_service.create_subjects(session, [row for _, row in new])
        for (pos, _), sid in zip(new, ids, strict=True):
            out[pos] = sid
            fresh.add(pos)
    for pos, chk in zip(positions, checks, strict=True):
        if out[pos] == -1:
            found = subjects_service.find_by_code(session, chk.uscc or "")
            out[pos] = found.id if found is not None else None
    return out, fresh
