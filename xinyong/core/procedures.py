"""What every due-process procedure shares, kept below the layers that run them (``lists``, and
``casework`` with the procedures on it, sit in different layers): who acts (:class:`Actor`), how
one step of a procedure's history reads in its JSON (:func:`step_fields`) and the dates a step may
take (:func:`check_step_date`).

``xinyong.lists.service.Actor``, ``xinyong.lists.common.Actor`` and
``xinyong.casework.service.Actor`` are this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from xinyong.core.errors import InvalidInput

# The credit office's window and the platform itself act on every procedure.
STAFF_ROLES = frozenset({"system", "credit_office", "admin"})


@dataclass(frozen=True)
class Actor:
    """Who acts, as plain values (a router or a CLI builds it from the caller)."""

    label: str  # user:zhangsan, key:3f2a…, system:lists (kept in the history and the ledger)
    role: str  # system | subject | provider | credit_office | admin | regulator
    provider_code: str | None = None  # a provider acts for its own department only
    subject_id: int | None = None  # a subject account acts for its own subject only

    @property
    def staff(self) -> bool:
        """The credit office's window (and the platform itself) acts on every procedure."""
        return self.role in STAFF_ROLES


class StepRow(Protocol):
    """A row of a procedure's step history (``list_steps``, ``case_steps``)."""

    seq: int
    action: str
    from_status: str | None
    to_status: str
    on_date: date
    actor: str
    text: str
    data: dict[str, Any]
    created_at: datetime


def step_fields(step: StepRow, action_zh: Mapping[str, str]) -> dict[str, Any]:
    """The fields every procedure's step view fills alike from its history row."""
    return {
        "seq": step.seq,
        "action": step.action,
        "action_zh": action_zh.get(step.action, step.action),
        "from_status": step.from_status,
        "to_status": step.to_status,
        "on": step.on_date,
        "actor": step.actor,
        "text": step.text,
        "data": dict(step.data or {}),
        "created_at": step.created_at,
    }


def check_step_date(on: date, today: date, last: date | None, *, code: str) -> date:
    """``on`` if it is neither in the future nor before ``last`` (the procedure's previous step);
    refused as ``<code>.future_date`` / ``<code>.date_before_previous_step``."""
    if on > today:
        raise InvalidInput(
            f"A step cannot be dated in the future ({on})",
            f"办理日期不能晚于今天（{on}）",
            code=f"{code}.future_date",
            field="on",
            value=on.isoformat(),
        )
    if last is not None and on < last:
        raise InvalidInput(
            f"A step cannot be dated before the previous step ({last})",
            f"办理日期不能早于上一环节的日期（{last}）",
            code=f"{code}.date_before_previous_step",
            field="on",
            value=on.isoformat(),
            previous=last.isoformat(),
        )
    return on
