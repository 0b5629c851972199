"""Where accuracy learns of objections upheld against a department's records (异议成立).

Xinyong has no objections domain yet. When it lands, the assembly (``xinyong.jobs``) registers
its counter here with ``register_upheld_source``; until then the scorecard shows that figure as
not available (None), never as zero."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

# (session, provider_code, since, until) -> {item_code: objections upheld in [since, until)}
UpheldSource = Callable[[Session, str, datetime, datetime], dict[str, int]]

_SOURCES: list[UpheldSource] = []


def register_upheld_source(source: UpheldSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def clear_upheld_sources() -> None:
    _SOURCES.clear()


def upheld(session: Session, provider_code: str, since: datetime, until: datetime) -> dict[str, int] | None:
    """Objections upheld per item, or None when no source is registered."""
    if not _SOURCES:
        return None
    out: dict[str, int] = {}
    for source in _SOURCES:
        for item, n in source(session, provider_code, since, until).items():
            out[item] = out.get(item, 0) + n
    return out
