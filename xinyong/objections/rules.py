"""Objection rules as data: ``rulesets/<name>/objections.yaml`` (grounds, the schedules of the
Taizhou ordinance §13 and the Shenzhen regulations §51, attachments, letters)."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import Field, model_validator

from xinyong.casework.rules import CaseRules, Strict, load_case_rules
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings

GROUNDS = ("wrong_content", "wrong_subject", "beyond_period", "listing_conditions", "other")
OUTCOME_LETTERS = ("corrected", "upheld", "suspended", "withdrawn")


class Ground(Strict):
    code: str
    name_zh: str = Field(min_length=1)
    source: str = Field(min_length=1)


class ObjectionRules(CaseRules):
    grounds: list[Ground] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> ObjectionRules:
        codes = [g.code for g in self.grounds]
        if sorted(codes) != sorted(GROUNDS):
            raise ValueError(f"grounds must be exactly {list(GROUNDS)}")
        for s in self.schedules:
            missing = {"compare", "provider_reply", "correct"} - set(s.steps)
            if missing:
                raise ValueError(f"schedule {s.code} lacks steps {sorted(missing)}")
        missing_letters = set(OUTCOME_LETTERS) - set(self.letters)
        if missing_letters:
            raise ValueError(f"letters lack {sorted(missing_letters)}")
        return self

    def ground(self, code: str) -> Ground:
        for g in self.grounds:
            if g.code == code:
                return g
        raise InvalidInput(
            f"Unknown ground {code!r}",
            f"异议事由“{code}”不存在，可选：{'、'.join(g.name_zh for g in self.grounds)}",
            code="objections.ground",
            field="ground",
            value=code,
            allowed=list(GROUNDS),
        )


def load_objection_rules(path: Path) -> ObjectionRules:
    return load_case_rules(ObjectionRules, path)


_lock = threading.Lock()
_cache: dict[Path, ObjectionRules] = {}


def get_objection_rules() -> ObjectionRules:
    path = get_settings().ruleset_dir / "objections.yaml"
    with _lock:
        if path not in _cache:
            _cache[path] = load_objection_rules(path)
        return _cache[path]


def reset_objection_rules_cache() -> None:
    with _lock:
        _cache.clear()
