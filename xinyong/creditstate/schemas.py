"""API shapes of the credit state."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from xinyong.core.params import UtcDateTime


class CreditSummary(BaseModel):
    """A subject's credit state row as kept by the event consumer (never recomputed on read)."""

    subject_id: int
    counts: dict[str, int]
    records_in_force: int
    negative_in_force: int
    serious_in_force: int
    last_event_id: int
    last_change_at: UtcDateTime | None
    updated_at: UtcDateTime | None
    # Kept by the evaluation step (None until the subject's first evaluation).
    grade: str | None = None
    score: Decimal | None = None
    model_code: str | None = None
    model_version: str | None = None
    evaluated_at: UtcDateTime | None = None
