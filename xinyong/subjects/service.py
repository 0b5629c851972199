"""Subjects service. CONTRACT: other domains rely on these names and shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session


@dataclass
class ResolvedSubject:
    subject_id: int
    created: bool  # a new (provisional) subject was created
    provisional: bool
    # e.g. {"code": "subject.name_differs", "message_zh": "..."}; never blocks the record
    warnings: list[dict[str, Any]] = field(default_factory=list)


def resolve_subject(
    session: Session,
    *,
    name: str,
    kind: str,
    uscc: str | None = None,
    id_number: str | None = None,
    legal_representative: str | None = None,
    source: str = "",
) -> ResolvedSubject:
    """Find the subject a record names (by USCC; natural persons by ID-number blind index).
    An unknown code creates a provisional subject flagged for governance review, never a drop;
    a known code with a different name opens a 重码 governance case and still attaches."""
    raise NotImplementedError


def create_subject(
    session: Session,
    *,
    kind: str,
    name: str,
    uscc: str | None = None,
    id_number: str | None = None,
    legal_representative: str | None = None,
    address: str | None = None,
    division_code: str | None = None,
    industry: str | None = None,
    registered_on: date | None = None,
    registered_capital: Decimal | None = None,
    status: str = "存续",
    former_names: list[str] | None = None,
) -> int:
    """Register a subject from the registration source (not provisional); returns its id."""
    raise NotImplementedError


def add_relation(
    session: Session,
    subject_id: int,
    related_subject_id: int,
    role: str,
    *,
    since: date | None = None,
    until: date | None = None,
    source: str = "",
    share_ratio: Decimal | None = None,
) -> int:
    raise NotImplementedError
