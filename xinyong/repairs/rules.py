"""Repair rules as data: ``rulesets/<name>/repairs.yaml`` (kinds, the penalty types never ended
early, the lists that block an early end, materials, the schedule, letters)."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import Field, model_validator

from xinyong.casework.rules import CaseRules, Strict, load_case_rules
from xinyong.catalog.ruleset import Sourced
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings

KINDS = ("penalty_publicity", "list_exit", "other_negative")


class Kind(Strict):
    code: str
    name_zh: str = Field(min_length=1)
    source: str = Field(min_length=1)


class TypeList(Sourced):
    types: list[str]


class Material(Strict):
    code: str = Field(pattern=r"^[a-z][a-z_]{1,31}$")
    name_zh: str = Field(min_length=1)
    kinds: list[str]
    required: bool
    source: str = Field(min_length=1)


class RepairRules(CaseRules):
    kinds: list[Kind]
    never_early: TypeList
    blocking_lists: TypeList
    materials: list[Material]
    commitment_text_zh: str = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> RepairRules:
        if sorted(k.code for k in self.kinds) != sorted(KINDS):
            raise ValueError(f"kinds must be exactly {list(KINDS)}")
        for m in self.materials:
            bad = set(m.kinds) - set(KINDS)
            if bad:
                raise ValueError(f"material {m.code}: unknown kinds {sorted(bad)}")
        for s in self.schedules:
            missing = {"intake", "decision", "stop_publicity"} - set(s.steps)
            if missing:
                raise ValueError(f"schedule {s.code} lacks steps {sorted(missing)}")
        missing_letters = {"refused_intake", "granted", "refused", "withdrawn", "announcement"} - set(
            self.letters
        )
        if missing_letters:
            raise ValueError(f"letters lack {sorted(missing_letters)}")
        return self

    def kind(self, code: str) -> Kind:
        for k in self.kinds:
            if k.code == code:
                return k
        raise InvalidInput(
            f"Unknown repair kind {code!r}",
            f"信用修复类型“{code}”不存在",
            code="repairs.kind",
            field="kind",
            value=code,
            allowed=list(KINDS),
        )

    def materials_for(self, kind: str) -> list[Material]:
        return [m for m in self.materials if kind in m.kinds]


def load_repair_rules(path: Path) -> RepairRules:
    return load_case_rules(RepairRules, path)


_lock = threading.Lock()
_cache: dict[Path, RepairRules] = {}


def get_repair_rules() -> RepairRules:
    path = get_settings().ruleset_dir / "repairs.yaml"
    with _lock:
        if path not in _cache:
            _cache[path] = load_repair_rules(path)
        return _cache[path]


def reset_repair_rules_cache() -> None:
    with _lock:
        _cache.clear()
