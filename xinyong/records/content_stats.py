"""How full the record versions of some submissions are (read by ``xinyong.quality`` for the
completeness of a department's data): per submission, how many versions, how many of them
fill each field, and the subject codes they named (for the 重错码 rate)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.records.models import RecordVersion

_CHUNK = 1000


@dataclass
class ContentStats:
    versions: int = 0
    filled: Counter[str] = field(default_factory=Counter)  # field code -> versions filling it
    codes: set[str] = field(default_factory=set)  # USCCs as the department sent them


def _filled(value: object) -> bool:
    return value is not None and value != "" and value != []


def content_stats(session: Session, submission_ids: Iterable[str]) -> dict[str, ContentStats]:
    """Created and corrected versions written by these submissions (withdrawals carry no content)."""
    ids = sorted(set(submission_ids))
    out: dict[str, ContentStats] = {}
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        for sid, data in session.execute(
            select(RecordVersion.submission_id, RecordVersion.data).where(
                RecordVersion.submission_id.in_(part), RecordVersion.change.in_(("created", "corrected"))
            )
        ):
            if sid is None:
                continue
            st = out.setdefault(sid, ContentStats())
            st.versions += 1
            st.filled.update(k for k, v in (data or {}).items() if _filled(v))
            code = (data or {}).get("uscc")
            if isinstance(code, str) and code:
                st.codes.add(code)
    return out
