"""The measure catalog (措施清单) as data: ``rulesets/<name>/measures/*.yaml``.

Files: ``matters.yaml`` (事项), ``bases.yaml`` (legal provisions and the trigger classes each
covers), ``triggers.yaml`` (the class of every list, grade and item), ``feedback.yaml`` (the
feedback deadline) and any number of files with a ``measures:`` list (``rewards.yaml``,
``punishments.yaml``, a city's own additions).

The validator refuses to load a catalog with a measure that has no legal basis, cites an unknown
basis, matter, list or grade, or whose condition uses a trigger class none of its bases allows
(过惩相当, proportionality), or a class no punishment may use (轻微, ``punishment_never``).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import RulesetError, Sourced, Strict, read_yaml, validate_file
from xinyong.core.settings import get_settings

Kind = Literal["reward", "punishment"]
Severity = Literal["minor", "general", "serious"]
TriggerClass = Literal[
    "red_list",
    "good_grade",
    "good_record",
    "minor",
    "general",
    "serious",
    "watch_list",
    "serious_list",
    "poor_grade",
]
REWARD_CLASSES: frozenset[str] = frozenset({"red_list", "good_grade", "good_record"})
SUBJECT_KINDS = ("enterprise", "organisation", "individual_business", "natural_person")
_FIXED_FILES = ("matters.yaml", "bases.yaml", "triggers.yaml", "feedback.yaml")


class Matter(Sourced):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    description_zh: str = ""


class Allows(Strict):
    reward: list[TriggerClass] = Field(default_factory=list)
    punishment: list[TriggerClass] = Field(default_factory=list)


class Basis(Sourced):
    code: str = Field(min_length=1, max_length=64)
    law: str = Field(min_length=1)
    article: str = Field(min_length=1)
    excerpt_zh: str = ""
    allows: Allows = Field(default_factory=Allows)


class RecordFilter(Strict):
    items: list[str] = Field(min_length=1)
    severity: list[Severity] | None = None
    # The records are the basis of an entry on this list (e.g. the courts' 失信被执行人名单): a
    # reason lasts while the subject's entry does, not for the record's publicity window
    # (法释〔2017〕7号第二条: the entry lasts two years; the record may stay published longer).
    lasts_as_list: str | None = None


class Trigger(Strict):
    """One condition: exactly one of list membership, liability for a listed subject (the
    legal representative / principal / controller named in its listing decision), grade,
    in-force records."""

    lists: list[str] | None = None
    liabilities: list[str] | None = None
    grades: list[str] | None = None
    records: RecordFilter | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [k for k in ("lists", "liabilities", "grades", "records") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a trigger names exactly one of lists, liabilities, grades, records")
        return self


class Duration(Strict):
    max_months: int = Field(ge=1)
    # Where the months run from: the record's decision date or the day the list entry began.
    from_: Literal["decision_date", "start"] = Field(default="start", alias="from")


class Measure(Sourced):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name_zh: str = Field(min_length=1)
    kind: Kind
    category: Literal["administrative", "market", "industry"]
    content_zh: str = Field(min_length=1)
    bases: list[str] = Field(default_factory=list)
    department: str = Field(min_length=1)
    matters: list[str] = Field(min_length=1)
    subject_kinds: (
        list[Literal["enterprise", "organisation", "individual_business", "natural_person"]] | None
    ) = None
    when: list[Trigger] = Field(min_length=1)
    unless: list[Trigger] = Field(default_factory=list)
    unless_bases: list[str] = Field(default_factory=list)
    duration: Duration | None = None
    effective_until: date | None = None


class MeasureFile(Strict):
    measures: list[Measure]


class MattersFile(Strict):
    matters: list[Matter]


class BasesFile(Strict):
    bases: list[Basis]


class ListClass(Sourced):
    list: str = Field(min_length=1)
    # ``list`` shadows the builtin inside this class body only; annotations below use typing.
    class_: TriggerClass = Field(alias="class")


class GradeClass(Sourced):
    grade: str = Field(min_length=1)
    class_: TriggerClass = Field(alias="class")


class ItemClass(Sourced):
    item: str = Field(min_length=1)
    class_: TriggerClass = Field(alias="class")


class PunishmentNever(Sourced):
    classes: list[TriggerClass]


class TriggersFile(Strict):
    lists: list[ListClass]
    grades: list[GradeClass]
    items: list[ItemClass] = Field(default_factory=list)
    punishment_never: PunishmentNever


class FeedbackRule(Sourced):
    due_working_days: int = Field(ge=1)


class FeedbackAction(Sourced):
    code: str = Field(min_length=1, max_length=32)
    name_zh: str = Field(min_length=1)


class FeedbackFile(Strict):
    feedback: FeedbackRule
    actions: list[FeedbackAction] = Field(min_length=1)


@dataclass(frozen=True)
class MeasureCatalog:
    """The loaded, validated catalog; ``version`` names the rule version a receipt cites."""

    directory: Path
    ruleset: str  # "<name> <version>" of the enclosing ruleset
    digest: str  # sha256 of every file of the measures directory (first 16 hex)
    matters: dict[str, Matter]
    bases: dict[str, Basis]
    measures: dict[str, Measure]
    list_classes: dict[str, str]
    grade_classes: dict[str, str]
    item_classes: dict[str, str]
    punishment_never: frozenset[str]
    feedback: FeedbackRule
    actions: dict[str, FeedbackAction]

    @property
    def version(self) -> str:
        return f"{self.ruleset}/measures@{self.digest}"

    def trigger_classes(self, trigger: Trigger) -> list[str]:
        """The classes a trigger falls in (validated at load: every one is known)."""
        if trigger.lists or trigger.liabilities:
            return [self.list_classes[code] for code in (trigger.lists or trigger.liabilities or [])]
        if trigger.grades:
            return [self.grade_classes[g] for g in trigger.grades]
        assert trigger.records is not None
        out: list[str] = []
        for item in trigger.records.items:
            if item in self.item_classes:
                out.append(self.item_classes[item])
            else:
                out.extend(trigger.records.severity or [])
        return out

    def in_force(self, today: date) -> list[Measure]:
        return [
            m
            for m in self.measures.values()
            if m.effective_from <= today and (m.effective_until is None or today <= m.effective_until)
        ]


def _error(path: Path, message: str, message_zh: str, **details: Any) -> RulesetError:
    return RulesetError(
        f"Measure catalog file {path.name} is invalid: {message}",
        f"奖惩措施清单文件 {path.name} 有误：{message_zh}",
        file=str(path),
        **details,
    )


def _unique(codes: list[str], path: Path, what: str, what_zh: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise _error(
                path, f"{what} {code} is defined twice", f"{what_zh} {code} 重复", code=code, rule="duplicate"
            )
        seen.add(code)


def _digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _list_types(directory: Path) -> set[str]:
    """The list type codes the lists domain defines in the same ruleset (empty if none)."""
    codes: set[str] = set()
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        raw = read_yaml(path)
        if isinstance(raw, dict) and isinstance(raw.get("code"), str):
            codes.add(raw["code"])
    return codes


def load_measures(directory: Path) -> MeasureCatalog:
    """Load and validate ``directory`` (a ruleset's ``measures/`` folder)."""
    directory = Path(directory)
    paths = {name: directory / name for name in _FIXED_FILES}
    matters = validate_file(MattersFile, paths["matters.yaml"], read_yaml(paths["matters.yaml"])).matters
    bases = validate_file(BasesFile, paths["bases.yaml"], read_yaml(paths["bases.yaml"])).bases
    triggers = validate_file(TriggersFile, paths["triggers.yaml"], read_yaml(paths["triggers.yaml"]))
    feedback = validate_file(FeedbackFile, paths["feedback.yaml"], read_yaml(paths["feedback.yaml"]))
    _unique([m.code for m in matters], paths["matters.yaml"], "matter", "事项")
    _unique([b.code for b in bases], paths["bases.yaml"], "basis", "依据")
    _unique([a.code for a in feedback.actions], paths["feedback.yaml"], "action", "反馈类型")
    _unique([x.list for x in triggers.lists], paths["triggers.yaml"], "list", "名单")
    _unique([x.grade for x in triggers.grades], paths["triggers.yaml"], "grade", "等级")
    _unique([x.item for x in triggers.items], paths["triggers.yaml"], "item", "目录项")

    measures: list[tuple[Measure, Path]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in _FIXED_FILES:
            continue
        for m in validate_file(MeasureFile, path, read_yaml(path)).measures:
            if any(m.code == other.code for other, _ in measures):
                raise _error(
                    path,
                    f"measure {m.code} is defined twice",
                    f"措施代码 {m.code} 重复",
                    code=m.code,
                    rule="duplicate",
                )
            measures.append((m, path))
    if not measures:
        raise RulesetError(
            f"No measures under {directory}",
            f"目录 {directory} 下没有奖惩措施",
            file=str(directory),
            rule="file_missing",
        )

    known_items = {i.code for i in catalog_service.get_catalog().items()}
    for x in triggers.items:
        if x.item not in known_items:
            raise _error(
                paths["triggers.yaml"],
                f"unknown catalog item {x.item}",
                f"目录项 {x.item} 不存在",
                rule="unknown_item",
            )
    known_lists = _list_types(directory.parent / "lists")
    for lc in triggers.lists:
        if known_lists and lc.list not in known_lists:
            raise _error(
                paths["triggers.yaml"],
                f"list {lc.list} is not a list type of the ruleset (lists/*.yaml)",
                f"名单 {lc.list} 不是规则集中的名单类型（lists/*.yaml）",
                rule="unknown_list",
                list=lc.list,
            )
    meta = catalog_service.get_catalog().meta
    cat = MeasureCatalog(
        directory=directory,
        ruleset=f"{meta.name} {meta.version}",
        digest=_digest(directory),
        matters={m.code: m for m in matters},
        bases={b.code: b for b in bases},
        measures={m.code: m for m, _ in measures},
        list_classes={x.list: x.class_ for x in triggers.lists},
        grade_classes={x.grade: x.class_ for x in triggers.grades},
        item_classes={x.item: x.class_ for x in triggers.items},
        punishment_never=frozenset(triggers.punishment_never.classes),
        feedback=feedback.feedback,
        actions={a.code: a for a in feedback.actions},
    )
    for m, path in measures:
        check_measure(cat, m, path, known_items)
    return cat


def check_measure(cat: MeasureCatalog, m: Measure, path: Path, known_items: set[str]) -> None:
    """The proportionality guard and reference checks of one measure."""

    def fail(message: str, message_zh: str, rule: str, **details: Any) -> RulesetError:
        return _error(
            path,
            f"measure {m.code}: {message}",
            f"措施 {m.code}（{m.name_zh}）：{message_zh}",
            measure=m.code,
            rule=rule,
            **details,
        )

    if not m.bases:
        raise fail("has no legal basis", "没有法律依据（只有列明依据的措施才能实施）", "no_basis")
    for code in [*m.bases, *m.unless_bases]:
        if code not in cat.bases:
            raise fail(
                f"cites unknown basis {code}", f"引用的依据 {code} 不存在", "unknown_basis", basis=code
            )
    for code in m.matters:
        if code not in cat.matters:
            raise fail(
                f"names unknown matter {code}", f"适用事项 {code} 不存在", "unknown_matter", matter=code
            )
    for trigger in [*m.when, *m.unless]:
        tied = [trigger.records.lasts_as_list] if trigger.records and trigger.records.lasts_as_list else []
        for code in [*(trigger.lists or []), *(trigger.liabilities or []), *tied]:
            if code not in cat.list_classes:
                raise fail(
                    f"names list {code}, which triggers.yaml does not class",
                    f"名单 {code} 未在 triggers.yaml 中定义类别",
                    "unknown_list",
                    list=code,
                )
        for g in trigger.grades or []:
            if g not in cat.grade_classes:
                raise fail(
                    f"grade {g} has no class in triggers.yaml",
                    f"评价等级 {g} 未在 triggers.yaml 中定义类别",
                    "unknown_grade",
                    grade=g,
                )
        if trigger.records:
            for item in trigger.records.items:
                if item not in known_items:
                    raise fail(
                        f"names unknown catalog item {item}",
                        f"目录项 {item} 不存在",
                        "unknown_item",
                        item=item,
                    )
                if item not in cat.item_classes and not trigger.records.severity:
                    raise fail(
                        f"records of {item} need a severity filter (or a class in triggers.yaml)",
                        f"目录项 {item} 的记录条件须注明失信程度",
                        "records_need_severity",
                        item=item,
                    )
    allowed: set[str] = set()
    for code in m.bases:
        allowed |= set(getattr(cat.bases[code].allows, m.kind))
    for trigger in m.when:
        for cls in cat.trigger_classes(trigger):
            if m.kind == "punishment" and cls in cat.punishment_never:
                raise fail(
                    f"a punishment may not be triggered by class {cls}",
                    f"失信惩戒不得由“{cls}”类信息触发（轻微失信不予惩戒）",
                    "punishment_never",
                    trigger_class=cls,
                )
            if (m.kind == "reward") != (cls in REWARD_CLASSES):
                raise fail(
                    f"a {m.kind} cannot be triggered by class {cls}",
                    f"{'激励' if m.kind == 'reward' else '惩戒'}措施不能由“{cls}”类条件触发",
                    "kind_mismatch",
                    trigger_class=cls,
                )
            if cls not in allowed:
                raise fail(
                    f"its condition uses class {cls}, which none of its bases ({', '.join(m.bases)}) allows",
                    f"触发条件“{cls}”超出其依据（{'、'.join(m.bases)}）允许的范围（过惩相当）",
                    "basis_does_not_allow",
                    trigger_class=cls,
                    bases=m.bases,
                )


_cache: dict[str, MeasureCatalog] = {}
_lock = threading.Lock()


def measures_dir() -> Path:
    return Path(get_settings().ruleset_dir).resolve() / "measures"


def get_measures() -> MeasureCatalog:
    """The catalog of the configured ruleset (cached per ruleset directory; call
    ``reset_measures_cache`` after a city edits its files)."""
    key = str(get_settings().ruleset_dir)
    found = _cache.get(key)
    if found is None:
        with _lock:
            found = _cache.get(key)
            if found is None:
                found = load_measures(measures_dir())
                _cache[key] = found
    return found


def reset_measures_cache() -> None:
    with _lock:
        _cache.clear()
