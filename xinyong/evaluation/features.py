"""The feature library: the only inputs a model may score (docs/evaluation.md lists them).

A model file names a feature and gives its parameters; this module turns that into SQL over
two input relations that every engine holds (see ``engine.INPUT_SCHEMAS``):

* ``subjects``: ``subject_id, kind, status, registered_ymd, registered_capital, lists``
* ``records``: the subject's records IN FORCE at the snapshot, ``record_id, subject_id,
  item_code, category, severity, decision_date, decision_ymd, fact__<field> ...``

The SQL is written once in DuckDB's dialect and transpiled by sqlglot for other engines, so it
keeps to constructs both engines define the same way: DECIMAL arithmetic (never floating
point), date comparisons against literals computed here from the snapshot date, CASE, SUM,
``ARG_MAX(...) FILTER (WHERE ...)``, sorted ``ARRAY_AGG``. No number in here is a legal rule:
windows, decay weights and item codes come from the model file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from xinyong.catalog.ruleset import add_months

Kind = Literal["numeric", "categorical"]
DEC = "DECIMAL(18,4)"


POINTS = "DECIMAL(9,4)"  # points 0..100 and dimension scores: narrow decimals compute fast
WEIGHT = "DECIMAL(5,4)"  # weights 0..1


def dec(value: Decimal | int | str, type_: str = DEC) -> str:
    """A DECIMAL literal both engines read the same way."""
    text = format(Decimal(str(value)).normalize(), "f")
    return f"CAST('{text}' AS {type_})"


def text_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ymd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def date_literal(day: date) -> str:
    return f"CAST('{day.isoformat()}' AS DATE)"


# --- parameter shapes -------------------------------------------------------------------------


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecayBand(Params):
    """Records decided within the last ``within_months`` months count with ``weight``."""

    within_months: int = Field(gt=0)
    weight: Decimal = Field(ge=0, le=100)


class PenaltyParams(Params):
    items: list[str] = ["administrative_penalty"]
    severity: list[Literal["minor", "general", "serious"]] = ["minor", "general", "serious"]
    # Bands ordered by ``within_months``; older records count 0. None: every in-force record 1.
    decay: list[DecayBand] | None = None

    @model_validator(mode="after")
    def _bands(self) -> PenaltyParams:
        if self.decay is not None:
            months = [b.within_months for b in self.decay]
            if not months or months != sorted(set(months)):
                raise ValueError("decay bands need strictly increasing within_months")
        if not self.items or not self.severity:
            raise ValueError("items and severity must not be empty")
        return self


class ItemsParams(Params):
    items: list[str]


class CountParams(ItemsParams):
    # field code -> values that do not count, e.g. {status: ["2"]}: a licence sent as 无效
    # (双公示 XK_ZT=2) is not held, although its record is still published.
    exclude: dict[str, list[str]] = {}

    @field_validator("exclude")
    @classmethod
    def _field_codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        # The codes become column names of the compiled query: catalog field codes only.
        bad = [k for k in value if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", k)]
        if bad:
            raise ValueError(f"not a catalog field code: {', '.join(bad)}")
        return value


class ListParams(Params):
    lists: list[str] = Field(min_length=1)  # list type codes (lists domain), e.g. blacklist


class HonourParams(Params):
    items: list[str] = ["honour"]
    levels: list[str] | None = None  # honour_level codes; None = every level
    within_months: int | None = Field(default=None, gt=0)


class RatingParams(Params):
    items: list[str] = ["sector_rating"]
    scheme: str  # rating_scheme code, e.g. tax_credit


class CommitmentParams(Params):
    items: list[str] = ["credit_commitment"]
    status: list[str] = Field(min_length=1)  # fulfilment_status codes


class DeclarationParams(Params):
    items: list[str] = ["self_declaration"]
    types: list[str] | None = None  # declaration_type codes; None = every type
    verified_only: bool = True


class NoParams(Params):
    pass


# --- the library -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a compiled query is specialised for: the snapshot date (all windows count back from
    it)."""

    as_of: date


@dataclass(frozen=True)
class RecordAggregate:
    """A feature computed from the subject's in-force records: ``how`` over the records matching
    ``condition``; ``value`` is the per-record contribution (sum) or the value kept (latest)."""

    how: Literal["sum", "latest"]
    condition: str
    value: str


@dataclass(frozen=True)
class Feature:
    name: str
    kind: Kind
    params: type[Params]
    name_zh: str
    description_zh: str
    description_en: str
    # (item, field) pairs read from the records' content: the loader adds fact__<field> columns.
    facts: Callable[[Params], list[tuple[str, str]]] = field(default=lambda p: [])
    items: Callable[[Params], list[str]] = field(default=lambda p: [])
    record: Callable[[Params, Context], RecordAggregate] | None = None
    subject: Callable[[Params, Context], str] | None = None  # SQL over ``s`` (subjects)

    @property
    def default(self) -> Decimal | str:
        """The value of a subject with nothing on file."""
        return "" if self.kind == "categorical" else Decimal(0)


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(text_literal(v) for v in values)})"


def _penalties(p: Params, ctx: Context) -> RecordAggregate:
    assert isinstance(p, PenaltyParams)
    cond = f"{_in('item_code', p.items)} AND {_in('severity', list(p.severity))}"
    if p.decay is None:
        return RecordAggregate("sum", cond, dec(1))
    cond += f" AND decision_date > {date_literal(add_months(ctx.as_of, -p.decay[-1].within_months))}"
    cases = " ".join(
        f"WHEN decision_date > {date_literal(add_months(ctx.as_of, -b.within_months))} THEN {dec(b.weight)}"
        for b in p.decay
    )
    return RecordAggregate("sum", cond, f"CASE {cases} ELSE {dec(0)} END")


def _count(p: Params, ctx: Context) -> RecordAggregate:
    assert isinstance(p, CountParams)
    cond = _in("item_code", p.items)
    for fld, values in sorted(p.exclude.items()):
        if values:
            cond += f" AND (fact__{fld} IS NULL OR NOT {_in(f'fact__{fld}', values)})"
    return RecordAggregate("sum", cond, dec(1))


def _flag(p: Params, ctx: Context) -> RecordAggregate:
    # 1 when the subject has at least one such record: a count capped at one.
    assert isinstance(p, ItemsParams)
    return RecordAggregate("sum", _in("item_code", p.items), dec(1))


def _honours(p: Params, ctx: Context) -> RecordAggregate:
    assert isinstance(p, HonourParams)
    cond = _in("item_code", p.items)
    if p.levels:
        cond += f" AND {_in('fact__honour_level', p.levels)}"
    if p.within_months:
        cond += f" AND decision_date > {date_literal(add_months(ctx.as_of, -p.within_months))}"
    return RecordAggregate("sum", cond, dec(1))


def _rating(p: Params, ctx: Context) -> RecordAggregate:
    assert isinstance(p, RatingParams)
    cond = f"{_in('item_code', p.items)} AND fact__rating_scheme = {text_literal(p.scheme)}"
    return RecordAggregate("latest", cond, "fact__rating")


def _commitments(p: Params, ctx: Context) -> RecordAggregate:
    assert isinstance(p, CommitmentParams)
    cond = f"{_in('item_code', p.items)} AND {_in('fact__fulfilment_status', p.status)}"
    return RecordAggregate("sum", cond, dec(1))


def _declarations(p: Params, ctx: Context) -> RecordAggregate:
    assert isinstance(p, DeclarationParams)
    cond = _in("item_code", p.items)
    if p.types:
        cond += f" AND {_in('fact__declaration_type', p.types)}"
    if p.verified_only:
        cond += " AND fact__verification_status = 'verified'"
    return RecordAggregate("sum", cond, dec(1))


def _years(p: Params, ctx: Context) -> str:
    # Whole years between registration and the snapshot, from yyyymmdd integers: exact on
    # every engine (a birthday-style count: 2015-12-31 → 2026-11-20 is 10 years).
    return (
        f"CASE WHEN s.registered_ymd IS NULL THEN {dec(0)} ELSE CAST(GREATEST(0, "
        f"CAST(FLOOR(({ymd(ctx.as_of)} - s.registered_ymd) / 10000) AS INT)) AS {DEC}) END"
    )


def _capital(p: Params, ctx: Context) -> str:
    return f"COALESCE(CAST(s.registered_capital AS {DEC}), {dec(0)})"


def _on_list(p: Params, ctx: Context) -> str:
    assert isinstance(p, ListParams)
    tests = " OR ".join(f"s.lists LIKE {text_literal('%,' + code + ',%')}" for code in p.lists)
    return f"CASE WHEN s.lists IS NOT NULL AND ({tests}) THEN {dec(1)} ELSE {dec(0)} END"


def _items(p: Params) -> list[str]:
    return list(getattr(p, "items", []))


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature(
            name="penalties",
            kind="numeric",
            params=PenaltyParams,
            name_zh="在公示期内的行政处罚（按失信程度、时间衰减）",
            description_zh="主体在公示期内（未撤销、未届满）的行政处罚记录条数，可按失信程度（轻微/一般/严重）筛选，"
            "可按决定日期分段衰减：最近 N 个月内的记录按权重计，更早的不计。",
            description_en="In-force penalty records, filtered by severity class, each weighted by the "
            "decay band its decision date falls in (older than the last band: 0).",
            items=_items,
            record=_penalties,
        ),
        Feature(
            name="judgment_debtor",
            kind="numeric",
            params=ItemsParams,
            name_zh="失信被执行人记录",
            description_zh="主体在公示期内的失信被执行人记录条数（法院认定）。",
            description_en="In-force records of the dishonest judgment debtor list (courts).",
            items=_items,
            record=_flag,
        ),
        Feature(
            name="record_count",
            kind="numeric",
            params=CountParams,
            name_zh="在公示期内的记录条数",
            description_zh="指定目录项（如 administrative_licence 行政许可）在公示期内的记录条数；exclude 列出不计入的"
            '字段取值（如当前状态为无效的许可 status: ["2"]）。',
            description_en="Number of in-force records of the given catalog items (e.g. licences held); "
            "`exclude` names field values that do not count (e.g. licences whose status is 2, invalid).",
            items=_items,
            facts=lambda p: [(i, f) for i in _items(p) for f in sorted(getattr(p, "exclude", {}))],
            record=_count,
        ),
        Feature(
            name="honours",
            kind="numeric",
            params=HonourParams,
            name_zh="表彰荣誉",
            description_zh="有效期内的表彰荣誉条数，可按荣誉级别（国家级/省级/市级/县级）和授予时间筛选。",
            description_en="In-force honours, optionally of given levels and granted within N months.",
            items=_items,
            facts=lambda p: [(i, "honour_level") for i in _items(p)],
            record=_honours,
        ),
        Feature(
            name="sector_rating",
            kind="categorical",
            params=RatingParams,
            name_zh="行业信用评价结果",
            description_zh="指定评价类型（如纳税信用等级 tax_credit）最近一次评价的结果（如 A、B、M、C、D），"
            "没有评价时为空。",
            description_en="The latest in-force result of a sector rating scheme (e.g. tax credit "
            "level A/B/M/C/D); empty when there is none.",
            items=_items,
            facts=lambda p: [(i, f) for i in _items(p) for f in ("rating_scheme", "rating")],
            record=_rating,
        ),
        Feature(
            name="commitments",
            kind="numeric",
            params=CommitmentParams,
            name_zh="信用承诺履约情况",
            description_zh="有效期内、履约状态为指定值（已履约 fulfilled / 未履约 breached / 履约中 in_progress）"
            "的信用承诺条数。",
            description_en="In-force credit commitments whose fulfilment status is one of the given codes.",
            items=_items,
            facts=lambda p: [(i, "fulfilment_status") for i in _items(p)],
            record=_commitments,
        ),
        Feature(
            name="self_declarations",
            kind="numeric",
            params=DeclarationParams,
            name_zh="自主申报信息",
            description_zh="有效期内的自主申报信息条数，默认只计“已核验”的申报，可按申报类型筛选。",
            description_en="In-force self-declarations (by default only verified ones), optionally of given types.",
            items=_items,
            facts=lambda p: [(i, f) for i in _items(p) for f in ("declaration_type", "verification_status")],
            record=_declarations,
        ),
        Feature(
            name="years_since_registration",
            kind="numeric",
            params=NoParams,
            name_zh="成立年限",
            description_zh="登记成立日到评价基准日的整年数；没有成立日期时为 0。",
            description_en="Whole years from registration to the snapshot date (0 when unknown).",
            subject=_years,
        ),
        Feature(
            name="registered_capital",
            kind="numeric",
            params=NoParams,
            name_zh="注册资本（万元）",
            description_zh="登记的注册资本（万元）；没有时为 0。",
            description_en="Registered capital in 10,000 CNY (0 when unknown).",
            subject=_capital,
        ),
        Feature(
            name="on_list",
            kind="numeric",
            params=ListParams,
            name_zh="名单状态",
            description_zh="主体当前是否在指定名单（如严重失信主体名单 blacklist）上：是为 1，否为 0。"
            "名单状态取自信用状态行（由名单程序维护）。",
            description_en="1 when the subject's credit state shows it on one of the given lists "
            "(kept by the lists procedure), else 0.",
            subject=_on_list,
        ),
    )
}


def get(name: str) -> Feature | None:
    return FEATURES.get(name)
