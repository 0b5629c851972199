"""List types as data: ``rulesets/<name>/lists/*.yaml``, one list type per file.

A list type says who may be listed (criteria, declarative), on what legal basis (law and
article: a type without one is refused), which department decides, which procedure steps apply,
the step deadlines in working days, how long a listing lasts and how it ends. Deadlines and
durations are versioned (``effective_from`` + ``source``); a procedure uses the versions in force
on its proposal date. The loader is strict like the catalog's: unknown keys, duplicate keys,
bad enum values and dangling references are errors naming the file and the place.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from xinyong.catalog.ruleset import (
    RulesetError,
    SeverityCode,
    Sourced,
    Strict,
    latest_in_force,
    normalise_key,
    read_yaml,
    validate_file,
)
from xinyong.catalog.service import get_catalog, load_catalog
from xinyong.core.errors import NotFound
from xinyong.core.settings import get_settings

ListKind = Literal["red", "watch", "black"]
SubjectKind = Literal["enterprise", "organisation", "individual_business", "natural_person"]
# How the deciding department of a procedure is found (谁认定、谁负责):
#   record_provider: the department that made the decision the listing rests on (the record's
#                    provider); a manual proposal: the proposing provider
#   proposer:        the department that proposes it
#   source_list:     the department that decided the listing this one escalates from
#   credit_office:   the public credit office (公共信用工作机构) itself
DepartmentRule = Literal["record_provider", "proposer", "source_list", "credit_office"]
LiableRole = Literal["legal_representative", "principal", "controller", "directly_responsible"]
ExitReason = Literal[
    "period_ended",  # 列入期限届满 (the daily tick)
    "repaired",  # 信用修复
    "court_revoked",  # 人民法院判决撤销
    "reconsideration_revoked",  # 行政复议决定撤销
    "obligation_fulfilled",  # 已履行相关义务
    "basis_withdrawn",  # 认定依据（信用记录）被撤销或撤回 (the consumer)
    "conditions_lost",  # 不再符合列入条件
]
# Exit reasons only the platform applies (never a person's exit request).
AUTOMATIC_EXITS: frozenset[str] = frozenset({"period_ended", "basis_withdrawn"})
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class LegalBasis(Strict):
    """One legal provision a list type rests on."""

    law: str = Field(min_length=1)  # e.g. 浙江省公共信用信息管理条例
    article: str = Field(min_length=1)  # e.g. 第二十四条
    summary_zh: str = ""

    @property
    def text(self) -> str:
        return f"《{self.law}》{self.article}"


class DecidingDepartment(Strict):
    rule: DepartmentRule
    name_zh: str = Field(min_length=1)
    source: str = Field(min_length=1)


class ProcedureSteps(Strict):
    """Which steps of the procedure apply to this list type."""

    notice: bool = True  # 告知: tell the subject the reasons and basis before deciding
    statement: bool = True  # 陈述申辩: a statement period follows the notice
    publication: bool = True  # the listing is published on the public site
    signed_decision: bool = False  # 决定书由本机关负责人签发 (who signed is recorded)
    # The record the proposal rests on IS the listing decision (e.g. the courts' list): the
    # platform records proposal and decision at once, dated by the record.
    auto_decide: bool = False
    # A listing rests on a judgment, penalty or enforcement decision: a proposal names that
    # record (basis_record_id) or is refused.
    basis_record: bool = False
    liable_persons: list[LiableRole] = []  # recorded with a listing of an organisation
    # Liable persons are barred (e.g. from being a legal representative) for this long.
    liable_restriction_months: int | None = Field(default=None, ge=1)
    # The text of the 告知 notice; placeholders {subject} {list} {department} {reasons}
    # {basis} {statement_due}. Empty: a plain default.
    notice_template_zh: str = ""
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ProcedureSteps:
        if self.statement and not self.notice:
            raise ValueError("a statement period needs a notice (statement: true requires notice: true)")
        if self.auto_decide and (self.notice or self.statement):
            raise ValueError(
                "auto_decide lists are decided by the source: notice and statement must be false"
            )
        return self


class Deadlines(Sourced):
    """Working days allowed for each step (a version in force from ``effective_from``)."""

    notice_within: int | None = Field(default=None, ge=0)  # proposal → notice
    statement_period: int | None = Field(default=None, ge=1)  # notice → end of statement period
    decision_within: int = Field(ge=0)  # end of statement period (or statement, notice, proposal) → decision
    publication_within: int | None = Field(default=None, ge=0)  # decision → publication
    rectification_period: int | None = Field(default=None, ge=1)  # decision or interview → rectified
    interview_within: int | None = Field(default=None, ge=0)  # rectification deadline missed → 约谈


class Duration(Sourced):
    """How long a listing lasts (a version in force from ``effective_from``)."""

    months: int | None = Field(default=None, ge=1)  # None: until an exit condition is met
    min_months: int = Field(default=0, ge=0)  # earliest exit by repair (最短期限)

    @model_validator(mode="after")
    def _min_within(self) -> Duration:
        if self.months is not None and self.min_months > self.months:
            raise ValueError("min_months exceeds months")
        return self


class _Criterion(Sourced):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name_zh: str = Field(min_length=1)


class RecordCriterion(_Criterion):
    """A record of one of ``items`` (of the given severities / penalty types) proposes the
    subject; with ``min_count`` > 1, that many such records in force decided within
    ``window_months`` before the proposal."""

    kind: Literal["record"]
    items: list[str] = Field(min_length=1)
    severities: list[SeverityCode] = []
    penalty_types: list[str] = []
    min_count: int = Field(default=1, ge=1)
    window_months: int | None = Field(default=None, ge=1)
    subject_kinds: list[SubjectKind] = []


class GradeCriterion(_Criterion):
    """A new evaluation grade in ``grades`` proposes the subject, if it has at most
    ``max_negative_in_force`` negative records in force."""

    kind: Literal["grade"]
    grades: list[str] = Field(min_length=1)
    max_negative_in_force: int | None = Field(default=None, ge=0)
    subject_kinds: list[SubjectKind] = []


class ListDurationCriterion(_Criterion):
    """A subject on ``list_type`` for at least ``months_at_least`` months is proposed (checked
    by the daily tick), e.g. 经营异常名录 for 3 years → 严重违法企业名单."""

    kind: Literal["list_duration"]
    list_type: str
    months_at_least: int = Field(ge=1)


Criterion = Annotated[RecordCriterion | GradeCriterion | ListDurationCriterion, Field(discriminator="kind")]


class ExitCondition(Sourced):
    reason: ExitReason
    name_zh: str = Field(min_length=1)
    # Earliest exit, in months on the list (repaired: default the duration's min_months).
    min_months: int | None = Field(default=None, ge=0)
    requires_rectification: bool = False
    # conditions_lost: a new record of these severities ends the listing at once (red lists).
    on_negative_severities: list[SeverityCode] = []


class ListType(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    kind: ListKind
    sector: str | None = None
    sector_zh: str = ""
    description_zh: str = ""
    subject_kinds: list[SubjectKind] = Field(min_length=1)
    effective_from: date
    source: str = Field(min_length=1)
    legal_basis: list[LegalBasis] = Field(min_length=1)
    deciding_department: DecidingDepartment
    procedure: ProcedureSteps
    deadlines: list[Deadlines] = Field(min_length=1)
    duration: list[Duration] = Field(min_length=1)
    criteria: list[Criterion] = []
    # Never proposed automatically while on one of these lists.
    exclude_lists: list[str] = []
    exit_conditions: list[ExitCondition] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ListType:
        problems: list[str] = []
        for name, entries in (("deadlines", self.deadlines), ("duration", self.duration)):
            days = [e.effective_from for e in entries]
            if len(days) != len(set(days)):
                problems.append(f"{name}: two versions with the same effective_from")
        codes = [c.code for c in self.criteria]
        if len(codes) != len(set(codes)):
            problems.append("criteria: a code is used twice")
        reasons = [e.reason for e in self.exit_conditions]
        if len(reasons) != len(set(reasons)):
            problems.append("exit_conditions: a reason is listed twice")
        p = self.procedure
        for d in self.deadlines:
            where = f"deadlines ({d.effective_from})"
            if p.notice and d.notice_within is None:
                problems.append(f"{where}: notice_within is required when procedure.notice is true")
            if p.statement and d.statement_period is None:
                problems.append(f"{where}: statement_period is required when procedure.statement is true")
            if p.publication and d.publication_within is None:
                problems.append(f"{where}: publication_within is required when procedure.publication is true")
            if d.interview_within is not None and d.rectification_period is None:
                problems.append(f"{where}: interview_within needs a rectification_period")
        if "period_ended" in reasons and any(d.months is None for d in self.duration):
            problems.append("exit_conditions: period_ended needs duration.months in every version")
        if p.auto_decide and not any(isinstance(c, RecordCriterion) for c in self.criteria):
            problems.append("procedure.auto_decide needs a record criterion")
        for c in self.criteria:
            kinds = getattr(c, "subject_kinds", [])
            if set(kinds) - set(self.subject_kinds):
                problems.append(f"criteria.{c.code}: subject_kinds outside the list type's subject_kinds")
        for e in self.exit_conditions:
            if e.on_negative_severities and e.reason != "conditions_lost":
                problems.append(
                    f"exit_conditions.{e.reason}: on_negative_severities only for conditions_lost"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- versions in force ----------------------------------------------------------------
    def deadlines_on(self, day: date) -> Deadlines:
        """The deadlines version in force on ``day`` (the earliest one for older days)."""
        return latest_in_force(self.deadlines, day) or min(self.deadlines, key=lambda d: d.effective_from)

    def duration_on(self, day: date) -> Duration:
        return latest_in_force(self.duration, day) or min(self.duration, key=lambda d: d.effective_from)

    def deadlines_version(self, effective_from: date | None, proposed_on: date) -> Deadlines:
        """The version a procedure recorded (by its effective date), else the one in force."""
        found = next((d for d in self.deadlines if d.effective_from == effective_from), None)
        return found or self.deadlines_on(proposed_on)

    def duration_version(self, effective_from: date | None, proposed_on: date) -> Duration:
        found = next((d for d in self.duration if d.effective_from == effective_from), None)
        return found or self.duration_on(proposed_on)

    def exit_condition(self, reason: str) -> ExitCondition | None:
        return next((e for e in self.exit_conditions if e.reason == reason), None)

    @property
    def basis_text(self) -> str:
        """The legal basis as one line: 《law》article；《law》article."""
        return "；".join(b.text for b in self.legal_basis)

    @property
    def public(self) -> bool:
        return self.procedure.publication


@dataclass(frozen=True)
class ListRules:
    """Every list type of a ruleset."""

    directory: Path
    types: dict[str, ListType]

    def get(self, code: str) -> ListType:
        try:
            return self.types[code]
        except KeyError:
            raise NotFound(
                f"Unknown list type: {code}",
                f"没有该名单类型：{code}",
                code="lists.unknown_list_type",
                list_type=code,
            ) from None

    def all(self) -> list[ListType]:
        order = {"red": 0, "watch": 1, "black": 2}
        return sorted(self.types.values(), key=lambda t: (order[t.kind], t.sector or "", t.code))


def _error(path: Path, message: str, message_zh: str, rule: str, **details: Any) -> RulesetError:
    return RulesetError(
        f"List type file {path.name}: {message}",
        f"名单类型文件 {path.name} 有误：{message_zh}",
        file=str(path),
        rule=rule,
        **details,
    )


def _no_basis(raw: Any) -> bool:
    if not isinstance(raw, dict):
        return False
    basis = raw.get("legal_basis")
    if not basis:
        return True
    return isinstance(basis, list) and any(
        not isinstance(b, dict)
        or not str(b.get("law") or "").strip()
        or not str(b.get("article") or "").strip()
        for b in basis
    )


def load_list_type(path: Path) -> ListType:
    """One list type file, checked on its own (references to others are checked by
    :func:`load_list_rules`)."""
    raw = read_yaml(path)
    if _no_basis(raw):
        raise _error(
            path,
            "a list type needs a legal basis (law and article for every entry)",
            "名单类型必须载明法律依据（每项均须写明法律法规名称和条款）",
            "legal_basis_missing",
        )
    lt = validate_file(ListType, path, raw)
    if lt.code != path.stem:
        raise _error(
            path,
            f"code {lt.code!r} differs from the file name",
            f"代码 {lt.code} 与文件名不一致",
            "code_mismatch",
        )
    return lt


def _cross_check(types: dict[str, ListType], paths: dict[str, Path]) -> None:
    directory = next(iter(paths.values())).parent.parent
    configured = Path(get_settings().ruleset_dir).resolve()
    catalog = get_catalog() if directory.resolve() == configured else load_catalog(directory)
    for code, lt in types.items():
        path = paths[code]
        for other in lt.exclude_lists:
            if other not in types:
                raise _error(
                    path,
                    f"exclude_lists names unknown list type {other!r}",
                    f"exclude_lists 引用了不存在的名单类型 {other}",
                    "unknown_list_type",
                )
        for c in lt.criteria:
            if isinstance(c, ListDurationCriterion) and (c.list_type not in types or c.list_type == code):
                raise _error(
                    path,
                    f"criteria.{c.code}: unknown list type {c.list_type!r}",
                    f"条件 {c.code} 引用了不存在的名单类型 {c.list_type}",
                    "unknown_list_type",
                )
            if isinstance(c, RecordCriterion):
                for item_code in c.items:
                    try:
                        item = catalog.item(item_code)
                    except NotFound:
                        raise _error(
                            path,
                            f"criteria.{c.code}: unknown catalog item {item_code!r}",
                            f"条件 {c.code} 引用了目录中不存在的目录项 {item_code}",
                            "unknown_item",
                        ) from None
                    if c.penalty_types:
                        spec = next((f for f in item.fields if f.code == "penalty_types"), None)
                        index = spec.enum_index() if spec is not None and spec.enum else {}
                        bad = [p for p in c.penalty_types if normalise_key(p) not in index]
                        if bad:
                            raise _error(
                                path,
                                f"criteria.{c.code}: unknown penalty types {bad}",
                                f"条件 {c.code} 的处罚类别不在目录项 {item_code} 中：{'、'.join(bad)}",
                                "unknown_penalty_type",
                            )
        if lt.deciding_department.rule == "source_list" and not any(
            isinstance(c, ListDurationCriterion) for c in lt.criteria
        ):
            raise _error(
                path,
                "deciding_department.rule source_list needs a list_duration criterion",
                "决定部门规则 source_list 须配合名单持续时间条件（list_duration）",
                "department_rule",
            )


def load_list_rules(directory: Path) -> ListRules:
    """Every ``lists/*.yaml`` of a ruleset directory, checked one by one and together."""
    folder = directory / "lists"
    if not folder.is_dir():
        return ListRules(directory, {})
    types: dict[str, ListType] = {}
    paths: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        lt = load_list_type(path)
        types[lt.code] = lt
        paths[lt.code] = path
    if types:
        _cross_check(types, paths)
    return ListRules(directory, types)


_cache: dict[tuple[str, tuple[tuple[str, int], ...]], ListRules] = {}
_lock = threading.Lock()


def _fingerprint(directory: Path) -> tuple[str, tuple[tuple[str, int], ...]]:
    folder = directory / "lists"
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return str(directory), tuple((p.name, p.stat().st_mtime_ns) for p in files)


def get_list_rules() -> ListRules:
    """The list types of the configured ruleset (reloaded when a file changes)."""
    directory = Path(get_settings().ruleset_dir).resolve()
    key = _fingerprint(directory)
    rules = _cache.get(key)
    if rules is None:
        with _lock:
            rules = _cache.get(key)
            if rules is None:
                rules = load_list_rules(directory)
                _cache.clear()
                _cache[key] = rules
    return rules


def reset_list_rules_cache() -> None:
    """Forget the loaded list types (the next ``get_list_rules`` reads the files again)."""
    with _lock:
        _cache.clear()
