"""The rule-table files of a ruleset (``rulesets/<name>/*.yaml``): their Pydantic shapes, a strict
YAML reader and the small helpers the tables need (text keys, month arithmetic, amounts).

Every entry carries ``effective_from`` and ``source``; unknown keys, duplicate YAML keys and bad
enum values are errors that name the file and the place, so a city editing a file sees what to fix.
"""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xinyong.core.errors import RulesetInvalid

SeverityCode = Literal["minor", "general", "serious"]
SEVERITY_RANK: dict[str, int] = {"minor": 1, "general": 2, "serious": 3}
M = TypeVar("M", bound=BaseModel)


class RulesetError(RulesetInvalid):
    """A ruleset file is missing or malformed: the platform refuses to guess."""

    status_code = 500
    code = "catalog.ruleset_invalid"


# --- reading YAML -----------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse one ruleset file, or raise ``RulesetError`` naming it."""
    if not path.is_file():
        raise RulesetError(
            f"Ruleset file missing: {path}", f"规则集文件缺失：{path}", file=str(path), rule="file_missing"
        )
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_StrictLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RulesetError(
            f"Ruleset file {path.name} is not valid YAML: {exc}",
            f"规则集文件 {path.name} 不是有效的 YAML：{exc}",
            file=str(path),
            rule="yaml_syntax",
        ) from exc


def validate_file(model: type[M], path: Path, raw: Any) -> M:
    """Validate parsed YAML against ``model``; errors name the file and each location."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"loc": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        listing = "; ".join(f"{e['loc'] or '(root)'}: {e['message']}" for e in errors[:10])
        raise RulesetError(
            f"Ruleset file {path.name} is invalid: {listing}",
            f"规则集文件 {path.name} 有误：{listing}",
            file=str(path),
            rule="schema",
            errors=errors,
        ) from exc


# --- shapes of the rule tables ----------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sourced(Strict):
    effective_from: date
    source: str = Field(min_length=1)


S = TypeVar("S", bound=Sourced)


class RulesetMeta(Sourced):
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    name_zh: str = ""
    description: str = ""


class ClassPeriod(Strict):
    """Publicity of one severity class under one rule version."""

    publish: bool = True
    min_months: int | None = Field(default=None, ge=0)  # None: the rule sets no minimum
    max_months: int = Field(ge=0)
    note_zh: str = ""

    @model_validator(mode="after")
    def _min_le_max(self) -> ClassPeriod:
        if self.min_months is not None and self.min_months > self.max_months:
            raise ValueError("min_months must not exceed max_months")
        return self


class PublicityVersion(Sourced):
    id: str = Field(min_length=1)
    name_zh: str = ""
    effective_until: date | None = None
    runs_from: Literal["publication", "decision"] = "publication"
    classes: dict[SeverityCode, ClassPeriod]

    @model_validator(mode="after")
    def _all_classes(self) -> PublicityVersion:
        missing = sorted(set(SEVERITY_RANK) - set(self.classes))
        if missing:
            raise ValueError(f"classes missing: {', '.join(missing)}")
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self


class SectorPublicityRule(PublicityVersion):
    sectors: list[str] = Field(min_length=1)
    enabled: bool = True


class BySeverityRule(Strict):
    kind: Literal["by_severity"]
    name_zh: str = ""
    versions: list[PublicityVersion] = Field(min_length=1)
    sector_rules: list[SectorPublicityRule] = []

    @model_validator(mode="after")
    def _versions_chain(self) -> BySeverityRule:
        # Versions must tile time without gaps or overlaps, so exactly one is in force on any date.
        ordered = sorted(self.versions, key=lambda v: v.effective_from)
        ids = [v.id for v in self.versions] + [r.id for r in self.sector_rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id: {', '.join(dup)}")
        for prev, nxt in pairwise(ordered):
            if prev.effective_from == nxt.effective_from:
                raise ValueError(f"versions {prev.id} and {nxt.id} start on the same day")
            if prev.effective_until is not None and (nxt.effective_from - prev.effective_until).days != 1:
                raise ValueError(
                    f"version {prev.id} ends {prev.effective_until} but {nxt.id} starts {nxt.effective_from}"
                )
        if ordered[-1].effective_until is not None:
            raise ValueError(f"the latest version {ordered[-1].id} must not have effective_until")
        return self

    def version_on(self, day: date) -> PublicityVersion:
        """The version in force on ``day``; decisions older than every version get the earliest."""
        ordered = sorted(self.versions, key=lambda v: v.effective_from)
        chosen = ordered[0]
        for v in ordered:
            if v.effective_from <= day:
                chosen = v
        return chosen

    def sector_rule_on(self, sector: str | None, day: date) -> SectorPublicityRule | None:
        if not sector:
            return None
        best: SectorPublicityRule | None = None
        for r in self.sector_rules:
            if not r.enabled or sector not in r.sectors or r.effective_from > day:
                continue
            if r.effective_until is not None and day > r.effective_until:
                continue
            if best is None or r.effective_from > best.effective_from:
                best = r
        return best


class WhileValidRule(Sourced):
    kind: Literal["while_valid"]
    name_zh: str = ""
    valid_until_field: str = "valid_until"


class NoPublicityRule(Sourced):
    kind: Literal["none"]
    name_zh: str = ""


PublicityRule = Annotated[BySeverityRule | WhileValidRule | NoPublicityRule, Field(discriminator="kind")]


class PublicityFile(Strict):
    rules: dict[str, PublicityRule] = Field(min_length=1)


class ActionKind(Sourced):
    code: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    working_days: int = Field(ge=0)


class TimelinessFile(Strict):
    action_kinds: list[ActionKind] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TimelinessFile:
        keys = [(k.code, k.effective_from) for k in self.action_kinds]
        dup = sorted({k[0] for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"action kind listed twice with the same effective_from: {', '.join(dup)}")
        return self

    def codes(self) -> set[str]:
        return {k.code for k in self.action_kinds}

    def limit(self, code: str, day: date) -> ActionKind | None:
        entries = [k for k in self.action_kinds if k.code == code]
        return latest_in_force(entries, day) or (
            min(entries, key=lambda k: k.effective_from) if entries else None
        )


class RetentionRule(Sourced):
    """How long negative information is kept at all (保存期限), then purged."""

    id: str = Field(min_length=1)
    name_zh: str = ""
    years: int = Field(ge=1)
    runs_from: Literal["decision"] = "decision"
    # A subject still on a black list when the period ends keeps the records until it leaves.
    extend_while_black_listed: bool = False


class RetentionFile(Strict):
    negative: list[RetentionRule] = Field(min_length=1)

    def rule_on(self, day: date) -> RetentionRule:
        """The rule in force on ``day`` (a decision older than every rule gets the earliest)."""
        return latest_in_force(self.negative, day) or min(self.negative, key=lambda r: r.effective_from)


def latest_in_force(entries: list[S], day: date | None) -> S | None:
    """The entry with the latest ``effective_from`` not after ``day`` (any day when None)."""
    usable = [e for e in entries if day is None or e.effective_from <= day]
    return max(usable, key=lambda e: e.effective_from) if usable else None


# --- helpers ------------------------------------------------------------------------------------

_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")"})


def normalise_key(text: Any) -> str:
    """A header or enum value reduced to a comparison key: NFKC (full-width → half-width), no
    whitespace (incl. full-width spaces), no BOM, no required-field stars or trailing colon,
    case-folded."""
    s = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").translate(_BRACKETS)
    s = "".join(s.split())
    s = s.strip("*").rstrip(":")
    return s.casefold()


def strip_bracketed(key: str) -> tuple[str, list[str]]:
    """Split ``"a(b)c(d)"`` into ``("ac", ["b", "d"])`` (keys are already normalised)."""
    outside: list[str] = []
    inside: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in key:
        if ch == "(":
            if depth == 0:
                current = []
            else:
                current.append(ch)
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                inside.append("".join(current))
            else:
                current.append(ch)
        elif depth:
            current.append(ch)
        else:
            outside.append(ch)
    return "".join(outside), [i for i in inside if i]


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the day of month is clamped (01-31 + 1 month → 02-28/29)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def as_decimal(value: Any) -> Decimal | None:
    """An amount from a number or a string such as ``"1,000.50"`` or full-width digits."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").replace("，", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None
