"""The commitments ruleset file (``rulesets/default/commitments.yaml``): the shared casework
sections (deadline schedule, attachment limits, letter templates = the 承诺书 texts) and the
commitment types (which template, which deadlines open on signing, the term)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator

from xinyong.casework.rules import CaseRules, load_case_rules
from xinyong.catalog.ruleset import Sourced, latest_in_force
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings

FILE = "commitments.yaml"


class CommitmentType(Sourced):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")  # the catalog's commitment_type code
    name_zh: str = Field(min_length=1)
    letter: str = Field(min_length=1)  # the 承诺书 template
    opens: list[str] = []  # deadlines opened on signing (steps of the schedule)
    term_months: int = Field(ge=1, le=120)  # valid until: signing + term


class CommitmentRules(CaseRules):
    types: list[CommitmentType] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> CommitmentRules:
        steps = {step for s in self.schedules for step in s.steps}
        for t in self.types:
            if t.letter not in self.letters:
                raise ValueError(f"type {t.code}: no letter template {t.letter!r}")
            unknown = [o for o in t.opens if o not in steps]
            if unknown:
                raise ValueError(f"type {t.code}: unknown steps {unknown}")
        return self

    def type_codes(self) -> list[str]:
        return sorted({t.code for t in self.types})

    def type_on(self, code: str, day: date) -> CommitmentType:
        """The type ``code`` in force on ``day``; a clear error otherwise."""
        found = latest_in_force([t for t in self.types if t.code == code], day)
        if found is None:
            raise InvalidInput(
                f"No commitment type {code!r} in force on {day}",
                f"{day}没有可签署的信用承诺类型“{code}”",
                code="commitments.bad_type",
                field="commitment_type",
                value=code,
                allowed=self.type_codes(),
            )
        return found


_cache: dict[tuple[str, int], CommitmentRules] = {}
_lock = threading.Lock()


def load_commitment_rules(path: Path) -> CommitmentRules:
    return load_case_rules(CommitmentRules, path)


def get_commitment_rules() -> CommitmentRules:
    """The commitments ruleset in force (re-read when the file changes)."""
    path = Path(get_settings().ruleset_dir).resolve() / FILE
    key = (str(path), path.stat().st_mtime_ns)
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            hit = load_commitment_rules(path)
            _cache.clear()
            _cache[key] = hit
        return hit


def reset_commitment_rules_cache() -> None:
    with _lock:
        _cache.clear()
