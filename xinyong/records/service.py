"""Records service. CONTRACT: ingest and later domains rely on these names and shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from xinyong.catalog.service import CatalogItem

Outcome = Literal["created", "corrected", "withdrawn", "unchanged"]


@dataclass
class RecordOutcome:
    outcome: Outcome
    record_id: int
    version: int


def store(
    session: Session,
    *,
    item: CatalogItem,
    subject_id: int,
    provider_id: int,
    document_number: str,
    data: dict[str, Any],
    submission_id: str | None,
    received_on: date,
    withdraw: bool = False,
) -> RecordOutcome:
    """Store one validated row. Same (provider, item, document number) and same content →
    ``unchanged`` (no write); changed content → a new version (``corrected``); ``withdraw`` →
    status ``withdrawn`` as a new version. Severity and publicity window come from the catalog's
    rule tables; an outbox event is written in the same transaction."""
    raise NotImplementedError


def tick(session: Session, today: date) -> int:
    """End publicity of records whose window's end has passed; returns how many ended."""
    raise NotImplementedError


def process_events(session: Session, limit: int = 10_000) -> int:
    """Consume outbox events and update each affected subject's credit state row."""
    raise NotImplementedError


def reassign_subject(session: Session, from_subject_id: int, to_subject_id: int) -> int:
    """Move records from one subject to another (governance merge); returns how many."""
    raise NotImplementedError
