"""The declarations ruleset file (``rulesets/default/declarations.yaml``): the shared casework
sections (the verification deadline, attachment limits, the letters to the applicant) and the
kinds a subject may declare (the catalog's declaration_type codes)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from pydantic import Field

from xinyong.casework.rules import CaseRules, load_case_rules
from xinyong.catalog.ruleset import Sourced, latest_in_force
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings

FILE = "declarations.yaml"


class DeclarationKind(Sourced):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")  # the catalog's declaration_type code
    name_zh: str = Field(min_length=1)


class DeclarationRules(CaseRules):
    kinds: list[DeclarationKind] = Field(min_length=1)

    def kind_codes(self) -> list[str]:
        return sorted({k.code for k in self.kinds})

    def kind_on(self, code: str, day: date) -> DeclarationKind:
        found = latest_in_force([k for k in self.kinds if k.code == code], day)
        if found is None:
            raise InvalidInput(
                f"Unknown declaration kind {code!r}",
                f"申报类型“{code}”不存在",
                code="declarations.bad_kind",
                field="declaration_type",
                value=code,
                allowed=self.kind_codes(),
            )
        return found


_cache: dict[tuple[str, int], DeclarationRules] = {}
_lock = threading.Lock()


def load_declaration_rules(path: Path) -> DeclarationRules:
    return load_case_rules(DeclarationRules, path)


def get_declaration_rules() -> DeclarationRules:
    """The declarations ruleset in force (re-read when the file changes)."""
    path = Path(get_settings().ruleset_dir).resolve() / FILE
    key = (str(path), path.stat().st_mtime_ns)
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            hit = load_declaration_rules(path)
            _cache.clear()
            _cache[key] = hit
        return hit


def reset_declaration_rules_cache() -> None:
    with _lock:
        _cache.clear()
