"""Catalog service: the catalog items and rule tables of the ruleset in force.

CONTRACT (filled in by the catalog work; other domains rely on these names and shapes).
Rule tables are data under ``rulesets/default/`` (effective-from dates and sources on every
entry); nothing here hard-codes a legal number.

Files of a ruleset directory (see ``docs/rulesets.md``): ``ruleset.yaml`` (name, version),
``catalog/<item>.yaml`` (one per item), ``publicity.yaml``, ``severity.yaml``, ``timeliness.yaml``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from xinyong.catalog.fields import (
    DECISION_DATE,
    DOCUMENT_NUMBER,
    FINE_AMOUNT,
    ID_NUMBER,
    ID_TYPE,
    LEGAL_REPRESENTATIVE,
    OPERATION,
    PENALTY_TYPES,
    SECTOR,
    SEVERITY,
    SUBJECT_CATEGORY,
    SUBJECT_NAME,
    USCC,
    VALID_UNTIL,
)
from xinyong.catalog.ruleset import (
    SEVERITY_RANK,
    BySeverityRule,
    NoPublicityRule,
    PublicityFile,
    RetentionFile,
    RulesetError,
    RulesetMeta,
    SeverityCode,
    TimelinessFile,
    WhileValidRule,
    add_months,
    normalise_key,
    read_yaml,
    strip_bracketed,
    validate_file,
)
from xinyong.catalog.severity import SeverityDecision, SeverityFile, derive_severity, publicity_class
from xinyong.core.dates import as_date
from xinyong.core.errors import NotFound
from xinyong.core.settings import get_settings

__all__ = [
    "Catalog",
    "CatalogItem",
    "EnumOption",
    "FieldSpec",
    "HeaderMap",
    "PublicityWindow",
    "RulesetError",
    "SeverityDecision",
    "combine_columns",
    "get_catalog",
    "load_catalog",
    "normalise_enum",
    "reset_catalog_cache",
    "xlsx_template",
]

Disclosure = Literal["public", "on_request", "government", "confidential"]  # 公开/依申请/政务共享/不予公开
FieldType = Literal["string", "text", "date", "decimal", "integer", "enum", "enum_multi", "uscc", "id_number"]

# Enum codes of the canonical enums (the ruleset's enum options use exactly these codes).
OPERATION_ADD = "add"
OPERATION_CORRECT = "correct"
OPERATION_WITHDRAW = "withdraw"
NATURAL_PERSON_CATEGORY = "自然人"  # subject_category code of natural persons

# Separators of an enum_multi value (处罚类别 "警告;罚款", "警告；罚款", "警告、罚款").
MULTI_SEPARATORS = (";", "；", ",", "，", "、")

# Types each canonical field must have, so that ingest/records can rely on them.
_CANONICAL_TYPES: dict[str, tuple[str, ...]] = {
    SUBJECT_NAME: ("string",),
    SUBJECT_CATEGORY: ("enum",),
    USCC: ("uscc",),
    ID_TYPE: ("enum",),
    ID_NUMBER: ("id_number",),
    LEGAL_REPRESENTATIVE: ("string",),
    DOCUMENT_NUMBER: ("string",),
    DECISION_DATE: ("date",),
    PENALTY_TYPES: ("enum_multi",),
    FINE_AMOUNT: ("decimal",),
    SEVERITY: ("enum",),
    OPERATION: ("enum",),
    SECTOR: ("enum",),
    VALID_UNTIL: ("date",),
}
_CANONICAL_ENUM_CODES: dict[str, set[str]] = {
    SEVERITY: set(SEVERITY_RANK),
    OPERATION: {OPERATION_ADD, OPERATION_CORRECT, OPERATION_WITHDRAW},
}
# Every item must carry these (records are keyed and dated by them).
_REQUIRED_EVERYWHERE = (SUBJECT_NAME, DOCUMENT_NUMBER, DECISION_DATE)


class EnumOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    label: str  # Chinese label; either code or label is accepted on input
    aliases: list[str] = []


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str  # Xinyong field code (canonical ones above, else item-specific snake_case)
    name_zh: str
    name_en: str
    type: FieldType = "string"
    required: bool = False
    enum: list[EnumOption] | None = None
    max_length: int | None = None
    disclosure: Disclosure = "public"
    # Header spellings accepted on input: national codes of both editions, Chinese names.
    aliases: list[str] = []
    description: str = ""
    example: str | None = None  # a valid value, used by the XLSX template's example row
    # For id_number fields: the field holding the document type (证件类型); default ``id_type``.
    id_type_field: str | None = None

    _enum_index: dict[str, str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _enum_matches_type(self) -> FieldSpec:
        is_enum = self.type in ("enum", "enum_multi")
        if is_enum and not self.enum:
            raise ValueError(f"field {self.code}: type {self.type} needs enum options")
        if not is_enum and self.enum:
            raise ValueError(f"field {self.code}: enum options given but type is {self.type}")
        return self

    def enum_index(self) -> dict[str, str]:
        """Normalised code / label / alias → canonical code (built once)."""
        if self._enum_index is None:
            index: dict[str, str] = {}
            for opt in self.enum or []:
                for spelling in (opt.code, opt.label, *opt.aliases):
                    key = normalise_key(spelling)
                    if index.get(key, opt.code) != opt.code:
                        raise ValueError(f"field {self.code}: enum value {spelling!r} is ambiguous")
                    index[key] = opt.code
            self._enum_index = index
        return self._enum_index

    def enum_label(self, code: str) -> str | None:
        return next((o.label for o in self.enum or [] if o.code == code), None)


class CatalogItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str  # e.g. "administrative_licence", "administrative_penalty"
    name_zh: str
    name_en: str
    category: str  # 行政许可 / 行政处罚 / 司法判决 / 失信被执行人 / 信用承诺 / 表彰荣誉 / ...
    polarity: Literal["positive", "negative", "neutral"]
    subject_kinds: list[str]
    source_departments: list[str] = []  # provider codes or "*"
    fields: list[FieldSpec]
    publicity: str  # a rule key in publicity.yaml, e.g. "negative_by_severity" / "licence" / "none"
    double_publicity: bool = False  # 双公示: subject to the 7-working-day timeliness rule
    update_frequency: str = ""
    effective_from: date
    source: str
    # Kind of administrative action (timeliness.yaml), e.g. "licensing", "penalty"; None if none.
    action_kind: str | None = None
    # Register items (登记注册): applying a stored row updates the subject ("enterprise") or
    # writes a relation or former name ("relation") through the subjects service.
    register_kind: Literal["enterprise", "relation"] | None = None
    # No date in a record of this item lies before this one (a decision date 0001-01-01 is a
    # typing error). Default: 1949-10-01, the founding of the People's Republic, before which no
    # decision of its authorities exists; an item may set its own first legal date.
    earliest_date: date = date(1949, 10, 1)

    _by_code: dict[str, FieldSpec] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._by_code = {f.code: f for f in self.fields}

    def field(self, code: str) -> FieldSpec:
        try:
            return self._by_code[code]
        except KeyError:
            raise NotFound(
                f"Catalog item {self.code} has no field {code}",
                f"目录项“{self.name_zh}”没有字段 {code}",
                code="catalog.unknown_field",
                item=self.code,
                field=code,
            ) from None

    def has_field(self, code: str) -> bool:
        return code in self._by_code

    def required_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.required]


@dataclass(frozen=True)
class PublicityWindow:
    rule_id: str  # e.g. "order36-2026/general"
    start: date
    min_end: date | None
    end: date | None  # None = no end (e.g. licences shown while valid)
    # False: the rule says this class is not published at all (then min_end == end == start);
    # public views must not show it even on that day.
    published: bool = True


@dataclass(frozen=True)
class HeaderMap:
    """How the columns of one file map onto an item's fields."""

    columns: list[str | None]  # field code per column (None: unknown header)
    unknown: list[str]  # the headers that resolved to nothing, in file order
    # Fields fed by several columns (e.g. old CF_CFLB1 + CF_CFLB2): field → headers
    shared: dict[str, list[str]] = field(default_factory=dict)


def normalise_enum(spec: FieldSpec, value: Any) -> str | list[str] | None:
    """Canonical enum code(s) for a raw value, or None if it is not one of the options.

    Accepts the code, the Chinese label or an alias, in any width/case, with stray spaces.
    ``enum_multi`` values are split on ``;`` ``；`` ``,`` ``，`` ``、`` and returned as a list of
    codes (duplicates dropped, order kept); None if any part is unknown or nothing is left.
    """
    if spec.type not in ("enum", "enum_multi") or value is None:
        return None
    index = spec.enum_index()
    if spec.type == "enum_multi":
        parts = [value] if not isinstance(value, list | tuple) else list(value)
        codes: list[str] = []
        for part in parts:
            text = _scalar_text(part)
            for sep in MULTI_SEPARATORS[1:]:
                text = text.replace(sep, MULTI_SEPARATORS[0])
            for piece in text.split(MULTI_SEPARATORS[0]):
                key = normalise_key(piece)
                if not key:
                    continue
                code = index.get(key)
                if code is None:
                    return None
                if code not in codes:
                    codes.append(code)
        return codes or None
    key = normalise_key(_scalar_text(value))
    return index.get(key) if key else None


def _scalar_text(value: Any) -> str:
    # Excel hands numeric-looking codes back as floats: 1.0 means "1".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def combine_columns(spec: FieldSpec, values: Sequence[Any]) -> Any:
    """One value from several columns feeding the same field: ``enum_multi`` joins the non-empty
    values with ";" (old CF_CFLB1 + CF_CFLB2), any other type keeps the first non-empty value."""
    present = [v for v in values if v is not None and str(v).strip() != ""]
    if not present:
        return None
    if spec.type == "enum_multi":
        return ";".join(str(v).strip() for v in present)
    return present[0]


class _HeaderIndex:
    """Normalised header spellings of one item → field code, built once per item."""

    def __init__(self, item: CatalogItem) -> None:
        self.exact: dict[str, str] = {}
        soft: dict[str, str | None] = {}  # derived keys; None marks an ambiguous one
        for spec in item.fields:
            for spelling in (spec.code, spec.name_zh, *spec.aliases):
                key = normalise_key(spelling)
                if not key:
                    continue
                other = self.exact.get(key)
                if other is not None and other != spec.code:
                    raise RulesetError(
                        f"Catalog item {item.code}: header {spelling!r} names both {other} and {spec.code}",
                        f"目录项 {item.code}：表头“{spelling}”同时对应字段 {other} 和 {spec.code}",
                        item=item.code,
                        field=spec.code,
                        value=spelling,
                        rule="ambiguous_header",
                    )
                self.exact[key] = spec.code
            # Softer spellings: the English name, and names without their bracketed parts
            # ("罚款金额（万元）" → "罚款金额"); dropped when two fields would share one.
            for spelling in (spec.name_en, spec.name_zh, *spec.aliases):
                key = normalise_key(spelling)
                for candidate in {key, strip_bracketed(key)[0]}:
                    if candidate and candidate not in self.exact:
                        prev = soft.get(candidate, spec.code)
                        soft[candidate] = spec.code if prev == spec.code else None
        self.soft = {k: v for k, v in soft.items() if v is not None}

    def resolve(self, header: Any) -> str | None:
        key = normalise_key(header)
        if not key:
            return None
        found = self.exact.get(key) or self.soft.get(key)
        if found:
            return found
        # "统一社会信用代码(行政相对人代码_1)", "行政相对人名称(必填)": try outside, then inside.
        outside, inside = strip_bracketed(key)
        if outside != key:
            found = self.exact.get(outside) or self.soft.get(outside)
            if found:
                return found
            for part in inside:
                found = self.exact.get(part)
                if found:
                    return found
        return None


_MISS = object()
# Entries per memo of a Catalog (distinct enumerated values seen by the rules).
_MEMO_LIMIT = 50_000


class Catalog:
    """The loaded ruleset: items and rule tables."""

    def __init__(
        self,
        directory: Path,
        meta: RulesetMeta,
        items: list[CatalogItem],
        publicity: PublicityFile,
        severity: SeverityFile,
        timeliness: TimelinessFile,
        retention: RetentionFile | None = None,
    ) -> None:
        self.directory = directory
        # None: the ruleset has no retention.yaml, nothing is ever purged.
        self.retention_rules = retention
        self.meta = meta
        self.publicity_rules = publicity
        self.severity_rules = severity
        self.timeliness_rules = timeliness
        self._items = {i.code: i for i in items}
        self._headers = {i.code: _HeaderIndex(i) for i in items}
        # The severity and publicity rules read a few enumerated values per record (sector,
        # subject category, 处罚类别 ...) that repeat across a file: each distinct one is
        # normalised once (bounded; keyed by item, field and the raw text).
        self._enum_memo: dict[tuple[str, str, str], str | None] = {}
        self._penalty_memo: dict[tuple[str, tuple[str, ...]], list[str]] = {}

    def item(self, code: str) -> CatalogItem:
        """The item, or ``NotFound`` (code ``catalog.unknown_item``)."""
        try:
            return self._items[code]
        except KeyError:
            raise NotFound(
                f"Unknown catalog item: {code}",
                f"信用信息目录中没有该目录项：{code}",
                code="catalog.unknown_item",
                item=code,
                # The valid codes, so a person who mistyped one sees what to type instead.
                valid=[f"{i.code}（{i.name_zh}）" for i in self._items.values()],
            ) from None

    def items(self) -> list[CatalogItem]:
        return list(self._items.values())

    def resolve_header(self, item_code: str, header: str) -> str | None:
        """Map a raw header (national code any case/edition, Xinyong code, Chinese name with
        full-width brackets or stray spaces) to the item's field code, or None."""
        self.item(item_code)
        return self._headers[item_code].resolve(header)

    def map_headers(self, item_code: str, headers: Sequence[Any]) -> HeaderMap:
        """Resolve every column of a file; see ``combine_columns`` for fields fed by several."""
        index = self._headers[self.item(item_code).code]
        columns = [index.resolve(h) for h in headers]
        unknown = [
            str(h) for h, c in zip(headers, columns, strict=True) if c is None and str(h or "").strip()
        ]
        by_field: dict[str, list[str]] = {}
        for h, c in zip(headers, columns, strict=True):
            if c is not None:
                by_field.setdefault(c, []).append(str(h))
        return HeaderMap(columns, unknown, {f: hs for f, hs in by_field.items() if len(hs) > 1})

    def normalise_enum(self, spec: FieldSpec, value: Any) -> str | list[str] | None:
        return normalise_enum(spec, value)

    # --- publicity -----------------------------------------------------------------------

    def publicity_window(
        self,
        item: CatalogItem,
        severity: SeverityCode | None,
        decision_date: date,
        published_on: date,
        *,
        data: Mapping[str, Any] | None = None,
    ) -> PublicityWindow | None:
        """The window chosen by the rule in force on ``decision_date``.

        ``start`` is ``published_on``. Negative items: min_end/end from the severity class of
        the rule version in force on the decision date (or an enabled sector rule for the
        record's ``sector``), counted from publication or decision as that version says.
        Positive/neutral items under a ``while_valid`` rule: no minimum, end = the record's
        有效期至 (``data``) or None. A ``none`` rule gives None (never published)."""
        rule = self.publicity_rules.rules[item.publicity]
        if isinstance(rule, NoPublicityRule):
            return None
        if isinstance(rule, WhileValidRule):
            end = as_date((data or {}).get(rule.valid_until_field))
            return PublicityWindow(f"{item.publicity}/while_valid", published_on, None, end)
        return self._by_severity(item, rule, severity, decision_date, published_on, data or {})

    def _by_severity(
        self,
        item: CatalogItem,
        rule: BySeverityRule,
        severity: SeverityCode | None,
        decision_date: date,
        published_on: date,
        data: Mapping[str, Any],
    ) -> PublicityWindow:
        severity = publicity_class(self.severity_rules, item.code, severity)
        sector = self._enum_value(item, SECTOR, data.get(SECTOR))
        version = rule.sector_rule_on(sector, decision_date) or rule.version_on(decision_date)
        period = version.classes[severity]
        rule_id = f"{version.id}/{severity}"
        if not period.publish:
            return PublicityWindow(rule_id, published_on, published_on, published_on, published=False)
        anchor = published_on if version.runs_from == "publication" else decision_date
        min_end = add_months(anchor, period.min_months) if period.min_months is not None else None
        return PublicityWindow(rule_id, published_on, min_end, add_months(anchor, period.max_months))

    def _penalty_types(self, item: CatalogItem, value: Any) -> list[str]:
        if isinstance(value, list) and all(type(v) is str for v in value):
            key = (item.code, tuple(value))
            hit = self._penalty_memo.get(key)
            if hit is None:
                hit = self._penalty_types_of(item, value)
                if len(self._penalty_memo) < _MEMO_LIMIT:
                    self._penalty_memo[key] = hit
            return list(hit)
        return self._penalty_types_of(item, value)

    def _penalty_types_of(self, item: CatalogItem, value: Any) -> list[str]:
        if value is None or value == "" or not item.has_field(PENALTY_TYPES):
            return []
        codes = normalise_enum(item.field(PENALTY_TYPES), value)
        if isinstance(codes, list):
            return codes
        # Unknown parts: keep the known ones so a typo elsewhere cannot hide a 吊销.
        spec = item.field(PENALTY_TYPES)
        parts = value if isinstance(value, list | tuple) else [value]
        known: list[str] = []
        for part in parts:
            text = str(part)
            for sep in MULTI_SEPARATORS[1:]:
                text = text.replace(sep, MULTI_SEPARATORS[0])
            for piece in text.split(MULTI_SEPARATORS[0]):
                code = spec.enum_index().get(normalise_key(piece))
                if code and code not in known:
                    known.append(code)
        return known

    def _enum_value(self, item: CatalogItem, code: str, value: Any) -> str | None:
        if type(value) is str:
            key = (item.code, code, value)
            hit = self._enum_memo.get(key, _MISS)
            if hit is _MISS:
                hit = self._enum_value_of(item, code, value)
                if len(self._enum_memo) < _MEMO_LIMIT:
                    self._enum_memo[key] = hit
            return hit  # type: ignore[return-value]
        return self._enum_value_of(item, code, value)

    def _enum_value_of(self, item: CatalogItem, code: str, value: Any) -> str | None:
        if value is None or value == "" or not item.has_field(code):
            return None
        result = normalise_enum(item.field(code), value)
        return result if isinstance(result, str) else None

    # --- severity (the rules: ``catalog.severity``) --------------------------------------------

    def derive_severity(self, item: CatalogItem, data: dict[str, Any]) -> SeverityDecision:
        """The severity class of a record and the rule that decided it (see
        ``catalog.severity.derive_severity``); the record's enumerated values are read here,
        each distinct one normalised once."""
        return derive_severity(
            self.severity_rules, item, data, enum_value=self._enum_value, penalty_types=self._penalty_types
        )

    # --- timeliness ----------------------------------------------------------------------

    def timeliness_limit_working_days(self, item: CatalogItem, decision_date: date) -> int | None:
        """Working days allowed between decision and receipt (双公示: 7), or None."""
        if item.action_kind is None:
            return None
        kind = self.timeliness_rules.limit(item.action_kind, decision_date)
        return kind.working_days if kind else None


# --- loading ------------------------------------------------------------------------------


def load_catalog(directory: Path) -> Catalog:
    """Load and validate a ruleset directory; ``RulesetError`` names the file and the problem."""
    directory = Path(directory)
    meta_path = directory / "ruleset.yaml"
    meta = validate_file(RulesetMeta, meta_path, read_yaml(meta_path))
    item_files = sorted((directory / "catalog").glob("*.yaml"))
    if not item_files:
        raise RulesetError(
            f"No catalog items under {directory / 'catalog'}",
            f"规则集目录 {directory / 'catalog'} 下没有目录项文件",
            file=str(directory / "catalog"),
            rule="file_missing",
        )
    items: list[CatalogItem] = []
    for path in item_files:
        item = validate_file(CatalogItem, path, read_yaml(path))
        _check_item(item, path)
        if any(i.code == item.code for i in items):
            raise _file_error(path, f"item code {item.code} is used twice", f"目录项代码 {item.code} 重复")
        items.append(item)
    paths = {name: directory / f"{name}.yaml" for name in ("publicity", "severity", "timeliness")}
    publicity = validate_file(PublicityFile, paths["publicity"], read_yaml(paths["publicity"]))
    severity = validate_file(SeverityFile, paths["severity"], read_yaml(paths["severity"]))
    timeliness = validate_file(TimelinessFile, paths["timeliness"], read_yaml(paths["timeliness"]))
    _cross_check(items, publicity, severity, timeliness, paths)
    retention_path = directory / "retention.yaml"
    retention = (
        validate_file(RetentionFile, retention_path, read_yaml(retention_path))
        if retention_path.is_file()
        else None
    )
    return Catalog(directory, meta, items, publicity, severity, timeliness, retention)


def _file_error(path: Path, message: str, message_zh: str, **details: Any) -> RulesetError:
    return RulesetError(
        f"Ruleset file {path.name} is invalid: {message}",
        f"规则集文件 {path.name} 有误：{message_zh}",
        file=str(path),
        **details,
    )


def _check_item(item: CatalogItem, path: Path) -> None:
    if path.stem != item.code:
        raise _file_error(
            path, f"file name must be {item.code}.yaml", f"文件名应为 {item.code}.yaml", rule="file_name"
        )
    seen: set[str] = set()
    for spec in item.fields:
        if spec.code in seen:
            raise _file_error(
                path,
                f"duplicate field code {spec.code}",
                f"字段代码 {spec.code} 重复",
                field=spec.code,
                rule="duplicate_field",
            )
        seen.add(spec.code)
        expected = _CANONICAL_TYPES.get(spec.code)
        if expected and spec.type not in expected:
            raise _file_error(
                path,
                f"field {spec.code} must have type {' or '.join(expected)}, not {spec.type}",
                f"字段 {spec.code} 的类型应为 {' 或 '.join(expected)}，不能是 {spec.type}",
                field=spec.code,
                rule="canonical_type",
            )
        codes = {o.code for o in spec.enum or []}
        must = _CANONICAL_ENUM_CODES.get(spec.code)
        if must is not None and codes != must:
            raise _file_error(
                path,
                f"field {spec.code} must have exactly the enum codes {sorted(must)}",
                f"字段 {spec.code} 的枚举代码必须是 {sorted(must)}",
                field=spec.code,
                rule="canonical_enum",
            )
        try:
            spec.enum_index()
        except ValueError as exc:
            raise _file_error(
                path, str(exc), f"枚举值重复或有歧义：{exc}", field=spec.code, rule="enum"
            ) from exc
    for code in _REQUIRED_EVERYWHERE:
        if code not in seen or not item.field(code).required:
            raise _file_error(
                path,
                f"every item needs the required field {code}",
                f"每个目录项都必须有必填字段 {code}",
                field=code,
                rule="required_field",
            )
    try:
        _HeaderIndex(item)
    except RulesetError as exc:
        raise _file_error(path, exc.message, exc.message_zh, **exc.details) from exc


def _cross_check(
    items: list[CatalogItem],
    publicity: PublicityFile,
    severity: SeverityFile,
    timeliness: TimelinessFile,
    paths: dict[str, Path],
) -> None:
    """References between files must resolve: an item's publicity rule and action kind, the
    severity entries of negative items, the 处罚类别 named by severity.yaml."""
    for item in items:
        rule = publicity.rules.get(item.publicity)
        if rule is None:
            raise _file_error(
                paths["publicity"],
                f"item {item.code} uses publicity rule {item.publicity!r}, which is not defined",
                f"目录项 {item.code} 引用的公示规则 {item.publicity} 未定义",
                item=item.code,
                rule="unknown_publicity_rule",
            )
        if isinstance(rule, BySeverityRule):
            if item.polarity != "negative":
                raise _file_error(
                    paths["publicity"],
                    f"item {item.code} is not negative but uses a by-severity rule",
                    f"目录项 {item.code} 不是失信类信息，不能按失信程度公示",
                    item=item.code,
                    rule="polarity",
                )
            if item.code not in severity.items:
                raise _file_error(
                    paths["severity"],
                    f"negative item {item.code} needs an entry under items",
                    f"失信类目录项 {item.code} 需要在 items 下设置失信程度规则",
                    item=item.code,
                    rule="missing_item_severity",
                )
        if item.double_publicity and item.action_kind is None:
            raise _file_error(
                paths["timeliness"],
                f"双公示 item {item.code} needs an action_kind",
                f"双公示目录项 {item.code} 需要指定 action_kind（行政行为类型）",
                item=item.code,
                rule="missing_action_kind",
            )
        if item.action_kind is not None and item.action_kind not in timeliness.codes():
            raise _file_error(
                paths["timeliness"],
                f"item {item.code} names unknown action kind {item.action_kind}",
                f"目录项 {item.code} 的行政行为类型 {item.action_kind} 未在时效表中定义",
                item=item.code,
                rule="unknown_action_kind",
            )
    penalty_codes: set[str] = set()
    amount_fields: set[str] = set()
    for item in items:
        if item.has_field(PENALTY_TYPES):
            penalty_codes |= {o.code for o in item.field(PENALTY_TYPES).enum or []}
            amount_fields |= {f.code for f in item.fields if f.type == "decimal"}
    for prule in severity.penalty_types:
        if prule.type not in penalty_codes:
            raise _file_error(
                paths["severity"],
                f"penalty type {prule.type!r} is not a 处罚类别 code of any item",
                f"处罚类别“{prule.type}”不是任何目录项的处罚类别代码",
                value=prule.type,
                rule="unknown_penalty_type",
            )
        if prule.by_amount is not None and prule.by_amount not in amount_fields:
            raise _file_error(
                paths["severity"],
                f"by_amount field {prule.by_amount!r} is not an amount field",
                f"by_amount 指定的字段 {prule.by_amount} 不是金额字段",
                value=prule.by_amount,
                rule="unknown_amount_field",
            )
    if not any(t.sector == "*" and t.subject_category == "*" for t in severity.fine_thresholds) and (
        severity.fine_thresholds
    ):
        raise _file_error(
            paths["severity"],
            'fine_thresholds need a default entry (sector "*", subject_category "*")',
            'fine_thresholds 需要一条默认阈值（sector 与 subject_category 均为 "*"）',
            rule="missing_default_threshold",
        )
    for code in severity.items:
        if not any(i.code == code for i in items):
            raise _file_error(
                paths["severity"],
                f"items names unknown catalog item {code}",
                f"items 中的目录项 {code} 不存在",
                item=code,
                rule="unknown_item",
            )


_cache: dict[Path, Catalog] = {}
_by_setting: dict[Path, Catalog] = {}  # the same catalogs by the configured (unresolved) path
_cache_lock = threading.Lock()


def get_catalog() -> Catalog:
    """The catalog of the configured ruleset directory (cached per directory)."""
    configured = get_settings().ruleset_dir
    catalog = _by_setting.get(configured)  # hot path: no filesystem call on a hit
    if catalog is not None:
        return catalog
    directory = Path(configured).resolve()
    catalog = _cache.get(directory)
    if catalog is None:
        with _cache_lock:
            catalog = _cache.get(directory)
            if catalog is None:
                catalog = load_catalog(directory)
                _cache[directory] = catalog
    _by_setting[configured] = catalog
    return catalog


def reset_catalog_cache() -> None:
    """Forget loaded rulesets (tests, or after a city edits its files)."""
    with _cache_lock:
        _cache.clear()
        _by_setting.clear()


def xlsx_template(item_code: str) -> bytes:
    """A downloadable XLSX template: Chinese headers, enum dropdowns, one example row."""
    # template.py builds on this module's CatalogItem and FieldSpec; imported here, when a
    # template is asked for, so the two modules don't import each other at load time.
    from xinyong.catalog.template import build_template

    return build_template(get_catalog().item(item_code))
