"""Evaluation models as data: the file shape, the validator and the compiler to one SQL query.

A model file (``rulesets/<name>/models/*.yaml``, see docs/evaluation.md) declares dimensions
with weights, indicators (a feature from :mod:`features` + a scoring function), vetoes, caps,
grade cut-offs, the subject kinds it applies to, the target grade distribution and the
monitoring thresholds, with ``effective_from`` and ``source``. :func:`compile_model` turns a
validated model into ONE relational query (a sqlglot expression) over the input relations;
:func:`render` prints it in an engine's dialect.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, Literal

import orjson
import sqlglot
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlglot import exp

from xinyong.catalog.ruleset import read_yaml
from xinyong.core.errors import DomainError
from xinyong.evaluation import features as F

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
SUBJECT_KINDS = ("enterprise", "organisation", "individual_business", "natural_person")
_TOLERANCE = Decimal("0.0001")
# Bits of the per-record citation mask (record ids are packed as id * 2^CITE_BITS + mask).
CITE_BITS = 24


class ModelError(DomainError):
    """A model file (or a draft) is invalid: the message names the place and the problem."""

    status_code = 422
    code = "evaluation.model_invalid"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bin(Strict):
    """``min`` ≤ value < ``max`` (None: unbounded) scores ``points``."""

    min: Decimal | None = None
    max: Decimal | None = None
    points: Decimal


class Scoring(Strict):
    type: Literal["bins", "table", "linear"]
    bins: list[Bin] | None = None  # bins
    points: dict[str, Decimal] | None = None  # table: value → points
    default: Decimal | None = None  # bins (value in no bin) / table (value not listed)
    intercept: Decimal | None = None  # linear: intercept + slope × value, clamped
    slope: Decimal | None = None
    floor: Decimal = Decimal(0)
    ceiling: Decimal = Decimal(100)


class Indicator(Strict):
    code: str
    name_zh: str
    name_en: str = ""
    feature: str
    params: dict[str, Any] = {}
    weight: Decimal = Field(gt=0, le=1)  # share of the dimension
    scoring: Scoring
    rule_zh: str  # the rule as the public reads it
    source: str = Field(min_length=1)


class Dimension(Strict):
    code: str
    name_zh: str
    name_en: str = ""
    weight: Decimal = Field(gt=0, le=1)  # share of the total
    indicators: list[Indicator] = Field(min_length=1)
    source: str = Field(min_length=1)


class Condition(Strict):
    feature: str
    params: dict[str, Any] = {}
    op: Literal[">=", ">", "<=", "<", "==", "!="] = ">="
    value: Decimal | str = Decimal(1)


class Veto(Strict):
    code: str
    name_zh: str
    when: Condition
    grade: str
    rule_zh: str
    source: str = Field(min_length=1)


class Cap(Strict):
    code: str
    name_zh: str
    when: Condition
    max_grade: str
    rule_zh: str
    source: str = Field(min_length=1)


class Grade(Strict):
    code: str
    label_zh: str  # 优 / 良 / 中 / 差
    name_zh: str  # 优秀 / 良好 / 中等 / 较差
    min_score: Decimal = Field(ge=0)

    @property
    def display_zh(self) -> str:
        """The one form every page, CLI output and report shows: 「B（良好）」 (the API also keeps
        the bare code)."""
        return grade_display(self.code, self.name_zh)


def grade_display(code: str, name_zh: str) -> str:
    return f"{code}（{name_zh}）"


class Target(Strict):
    distribution: dict[str, Decimal]
    source: str = Field(min_length=1)


class Monitoring(Strict):
    psi_bins: list[Decimal] = Field(min_length=2)  # edges over dimension scores 0..100
    psi_stable_below: Decimal  # PSI < this: stable
    psi_shift_from: Decimal  # PSI ≥ this: significant shift
    backtest_horizon_months: int = Field(gt=0)
    source: str = Field(min_length=1)


class ModelSpec(Strict):
    code: str
    version: str = Field(min_length=1)
    name_zh: str
    name_en: str = ""
    subject_kinds: list[str] = Field(min_length=1)
    subject_statuses: list[str] = Field(min_length=1)  # registration statuses evaluated
    effective_from: date
    source: str = Field(min_length=1)
    scale: int = Field(gt=0)  # total points (Zhejiang: 1000)
    explain_top: int = Field(default=3, ge=1, le=10)
    dimensions: list[Dimension] = Field(min_length=1)
    vetoes: list[Veto] = []
    caps: list[Cap] = []
    grades: list[Grade] = Field(min_length=2)
    target_distribution: Target
    monitoring: Monitoring

    # --- conveniences

    def indicators(self) -> list[tuple[Dimension, Indicator]]:
        return [(d, i) for d in self.dimensions for i in d.indicators]

    def grade(self, code: str) -> Grade:
        return next(g for g in self.grades if g.code == code)

    def grade_codes(self) -> list[str]:
        return [g.code for g in self.grades]

    def content_hash(self) -> str:
        return hashlib.sha256(canonical(self)).hexdigest()

    def facts(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for feature, params in self.feature_uses():
            out.update(feature.facts(params))
        return out

    def items(self) -> set[str]:
        out: set[str] = set()
        for feature, params in self.feature_uses():
            out.update(feature.items(params))
        return out

    def feature_uses(self) -> list[tuple[F.Feature, F.Params]]:
        uses = [(i.feature, i.params) for _, i in self.indicators()]
        uses += [(v.when.feature, v.when.params) for v in self.vetoes]
        uses += [(c.when.feature, c.when.params) for c in self.caps]
        out = []
        for name, raw in uses:
            feature = F.FEATURES[name]
            out.append((feature, feature.params.model_validate(raw)))
        return out


def canonical(spec: ModelSpec) -> bytes:
    return orjson.dumps(spec.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


# --- validation ---------------------------------------------------------------------------------


def _error(where: str, message: str, message_zh: str, rule: str, **details: Any) -> ModelError:
    return ModelError(
        f"Evaluation model {where}: {message}",
        f"评价模型 {where}：{message_zh}",
        rule=rule,
        where=where,
        **details,
    )


def parse_model(raw: Any, where: str = "(draft)", catalog: Any | None = None) -> ModelSpec:
    """Validate a parsed model (dict) and return it; ``ModelError`` names the first problem.

    ``catalog`` (a :class:`xinyong.catalog.service.Catalog`) checks that the items and fields the
    features read exist."""
    try:
        spec = ModelSpec.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"loc": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        listing = "; ".join(f"{e['loc'] or '(root)'}: {e['message']}" for e in errors[:10])
        raise _error(where, listing, listing, "schema", errors=errors) from exc
    _check(spec, where, catalog)
    compile_model(spec, spec.effective_from)  # what cannot compile is refused now, not at run time
    return spec


def load_model_file(path: Path, catalog: Any | None = None) -> ModelSpec:
    try:
        raw = read_yaml(path)
    except DomainError as exc:
        raise ModelError(exc.message, exc.message_zh, **exc.details) from exc
    return parse_model(raw, path.name, catalog)


def _check_code(where: str, code: str, seen: set[str]) -> None:
    if not _CODE.match(code):
        raise _error(
            where, f"code {code!r} must be snake_case", f"代码 {code} 须为小写字母、数字和下划线", "code"
        )
    if code in seen:
        raise _error(where, f"code {code!r} is used twice", f"代码 {code} 重复", "duplicate_code", code=code)
    seen.add(code)


def _feature(where: str, name: str, raw: dict[str, Any]) -> tuple[F.Feature, F.Params]:
    feature = F.get(name)
    if feature is None:
        known = ", ".join(sorted(F.FEATURES))
        raise _error(
            where,
            f"unknown feature {name!r} (known: {known})",
            f"未知的特征 {name}（可用：{known}）",
            "unknown_feature",
            feature=name,
        )
    try:
        return feature, feature.params.model_validate(raw)
    except ValidationError as exc:
        listing = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise _error(
            where,
            f"bad parameters for feature {name}: {listing}",
            f"特征 {name} 的参数有误：{listing}",
            "bad_params",
            feature=name,
        ) from exc


def _check_catalog(where: str, feature: F.Feature, params: F.Params, catalog: Any) -> None:
    for item in feature.items(params):
        if item not in {i.code for i in catalog.items()}:
            raise _error(
                where,
                f"feature {feature.name} reads unknown catalog item {item!r}",
                f"特征 {feature.name} 引用的目录项 {item} 不存在",
                "unknown_item",
                item=item,
            )
    for item, fld in feature.facts(params):
        if not catalog.item(item).has_field(fld):
            raise _error(
                where,
                f"feature {feature.name} reads field {fld!r}, which item {item} does not have",
                f"特征 {feature.name} 读取的字段 {fld} 不在目录项 {item} 中",
                "unknown_field",
                item=item,
                field=fld,
            )


def _check_points(where: str, value: Decimal | None) -> None:
    if value is not None and not Decimal(0) <= value <= Decimal(100):
        raise _error(
            where, f"points {value} outside 0..100", f"分值 {value} 不在 0 到 100 之间", "points_range"
        )


def _check_scoring(where: str, feature: F.Feature, s: Scoring) -> None:
    if s.type == "table":
        if feature.kind != "categorical" or not s.points:
            raise _error(
                where,
                "a points table needs a categorical feature and `points`",
                "分值表只能用于分类特征，并须给出 points",
                "scoring_kind",
            )
        if s.default is None:
            raise _error(
                where,
                "a points table needs `default`",
                "分值表须给出 default（未列出的取值）",
                "table_default",
            )
        for v in [*s.points.values(), s.default]:
            _check_points(where, v)
        return
    if feature.kind != "numeric":
        raise _error(
            where,
            f"{s.type} scoring needs a numeric feature; {feature.name} is categorical",
            f"{s.type} 计分只能用于数值特征，{feature.name} 是分类特征",
            "scoring_kind",
        )
    if s.type == "linear":
        if s.intercept is None or s.slope is None:
            raise _error(
                where,
                "linear scoring needs intercept and slope",
                "线性计分须给出 intercept 和 slope",
                "linear",
            )
        if not Decimal(0) <= s.floor <= s.ceiling <= Decimal(100):
            raise _error(
                where, "need 0 ≤ floor ≤ ceiling ≤ 100", "须满足 0 ≤ floor ≤ ceiling ≤ 100", "linear"
            )
        if s.slope == 0 or not Decimal("0.0001") <= abs(s.slope) < 10_000 or abs(s.intercept) >= 10_000:
            raise _error(
                where,
                "linear scoring needs 0.0001 ≤ |slope| < 10000 and |intercept| < 10000",
                "线性计分须满足 0.0001 ≤ |slope| < 10000 且 |intercept| < 10000",
                "linear",
            )
        return
    bins = s.bins or []
    if not bins:
        raise _error(where, "bins scoring needs bins", "分段计分须给出 bins", "bins")
    lo = Decimal("-Infinity")
    inf = Decimal("Infinity")
    ordered = sorted(bins, key=lambda b: b.min if b.min is not None else -inf)
    gaps = False
    for n, b in enumerate(ordered):
        bmin = b.min if b.min is not None else -inf
        bmax = b.max if b.max is not None else inf
        _check_points(where, b.points)
        if bmin >= bmax:
            raise _error(
                where, f"bin {n} is empty (min ≥ max)", f"第 {n + 1} 个分段为空（min ≥ max）", "bins"
            )
        if bmin < lo:
            raise _error(
                where,
                f"bins overlap at {bmin} (a bin is [min, max))",
                f"分段在 {bmin} 处重叠（分段为左闭右开区间）",
                "overlapping_bins",
            )
        if bmin > lo:
            gaps = True
        lo = bmax
    if lo != inf:
        gaps = True
    if gaps and s.default is None:
        raise _error(
            where,
            "bins leave gaps: cover every value or give `default`",
            "分段未覆盖全部取值：请补齐分段或给出 default",
            "bins_gap",
        )
    _check_points(where, s.default)


def _check(spec: ModelSpec, where: str, catalog: Any | None) -> None:
    _check_code(where, spec.code, set())
    for kind in spec.subject_kinds:
        if kind not in SUBJECT_KINDS:
            raise _error(where, f"unknown subject kind {kind!r}", f"未知的主体类型 {kind}", "subject_kinds")
    total = sum((d.weight for d in spec.dimensions), Decimal(0))
    if abs(total - 1) > _TOLERANCE:
        raise _error(
            where,
            f"dimension weights sum to {total}, not 1",
            f"各维度权重之和为 {total}，应为 1",
            "weights_sum",
            total=str(total),
        )
    codes: set[str] = set()
    for d in spec.dimensions:
        _check_code(f"{where} dimension {d.code}", d.code, codes)
        sub = sum((i.weight for i in d.indicators), Decimal(0))
        if abs(sub - 1) > _TOLERANCE:
            raise _error(
                f"{where} dimension {d.code}",
                f"indicator weights sum to {sub}, not 1",
                f"维度“{d.name_zh}”内各指标权重之和为 {sub}，应为 1",
                "weights_sum",
                total=str(sub),
            )
        for i in d.indicators:
            at = f"{where} indicator {i.code}"
            _check_code(at, i.code, codes)
            feature, params = _feature(at, i.feature, i.params)
            _check_scoring(at, feature, i.scoring)
            if catalog is not None:
                _check_catalog(at, feature, params, catalog)
    grade_codes = [g.code for g in spec.grades]
    if len(set(grade_codes)) != len(grade_codes):
        raise _error(where, "grade codes repeat", "等级代码重复", "grades")
    mins = [g.min_score for g in spec.grades]
    if any(a <= b for a, b in itertools.pairwise(mins)) or mins[-1] != 0:
        raise _error(
            where,
            "grades go best first with strictly decreasing min_score, the last at 0",
            "等级须从高到低排列，min_score 严格递减，最后一级为 0",
            "grades",
        )
    if mins[0] > spec.scale:
        raise _error(
            where, "the best grade's min_score exceeds the scale", "最高等级的分数线超过总分", "grades"
        )
    rule_codes: dict[str, set[str]] = {"veto": set(), "cap": set()}
    rules: list[Veto | Cap] = [*spec.vetoes, *spec.caps]
    for rule in rules:
        kind = "veto" if isinstance(rule, Veto) else "cap"
        at = f"{where} {kind} {rule.code}"
        _check_code(at, rule.code, rule_codes[kind])
        feature, params = _feature(at, rule.when.feature, rule.when.params)
        if (feature.kind == "numeric") != isinstance(rule.when.value, Decimal):
            raise _error(
                at,
                "the condition's value does not fit the feature",
                "条件的取值与特征类型不符",
                "scoring_kind",
            )
        if catalog is not None:
            _check_catalog(at, feature, params, catalog)
        grade = rule.grade if isinstance(rule, Veto) else rule.max_grade
        if grade not in grade_codes:
            raise _error(at, f"unknown grade {grade!r}", f"未知的等级 {grade}", "unknown_grade", grade=grade)
    dist = spec.target_distribution.distribution
    if set(dist) != set(grade_codes) or abs(sum(dist.values(), Decimal(0)) - 1) > Decimal("0.001"):
        raise _error(
            where,
            "target_distribution needs one share per grade, summing to 1",
            "target_distribution 须为每个等级给出比例，合计为 1",
            "target_distribution",
        )
    m = spec.monitoring
    if m.psi_bins != sorted(set(m.psi_bins)) or not m.psi_stable_below < m.psi_shift_from:
        raise _error(
            where,
            "psi_bins must increase and psi_stable_below < psi_shift_from",
            "psi_bins 须递增，且 psi_stable_below 小于 psi_shift_from",
            "monitoring",
        )


# --- compiling -----------------------------------------------------------------------------------


def _points_sql(column: str, s: Scoring) -> str:
    if s.type == "table":
        assert s.points is not None and s.default is not None
        table = " ".join(
            f"WHEN {column} = {F.text_literal(k)} THEN {F.dec(v, F.POINTS)}" for k, v in s.points.items()
        )
        return f"CASE {table} ELSE {F.dec(s.default, F.POINTS)} END"
    if s.type == "linear":
        assert s.intercept is not None and s.slope is not None
        # Values beyond where the line leaves [floor, ceiling] score the same: clamp the value
        # there first, so the arithmetic stays in narrow (64-bit) decimals on every engine.
        lo, hi = sorted([(s.floor - s.intercept) / s.slope, (s.ceiling - s.intercept) / s.slope])
        lo, hi = lo.quantize(Decimal("0.0001"), ROUND_FLOOR), hi.quantize(Decimal("0.0001"), ROUND_CEILING)
        x = f"CAST(LEAST({F.dec(hi)}, GREATEST({F.dec(lo)}, {column})) AS DECIMAL(10,4))"
        raw = f"ROUND({F.dec(s.intercept, 'DECIMAL(8,4)')} + {F.dec(s.slope, 'DECIMAL(8,4)')} * {x}, 4)"
        return f"LEAST({F.dec(s.ceiling, F.POINTS)}, GREATEST({F.dec(s.floor, F.POINTS)}, {raw}))"
    cases = []
    for b in s.bins or []:
        tests = []
        if b.min is not None:
            tests.append(f"{column} >= {F.dec(b.min)}")
        if b.max is not None:
            tests.append(f"{column} < {F.dec(b.max)}")
        cases.append(f"WHEN {' AND '.join(tests) or 'TRUE'} THEN {F.dec(b.points, F.POINTS)}")
    default = F.dec(s.default, F.POINTS) if s.default is not None else "NULL"
    return f"CASE {' '.join(cases)} ELSE {default} END"


def points_for(s: Scoring, value: Decimal | str) -> Decimal:
    """The points a value scores (the same function the SQL computes; used for explanations)."""
    if s.type == "table":
        assert s.points is not None and s.default is not None
        return s.points.get(str(value), s.default)
    v = Decimal(str(value))
    if s.type == "linear":
        assert s.intercept is not None and s.slope is not None
        raw = (s.intercept + s.slope * v).quantize(Decimal("0.0001"))
        return min(s.ceiling, max(s.floor, raw))
    for b in s.bins or []:
        if (b.min is None or v >= b.min) and (b.max is None or v < b.max):
            return b.points
    assert s.default is not None
    return s.default


def max_points(s: Scoring) -> Decimal:
    """The most points the scoring function can give."""
    if s.type == "table":
        return max([*(s.points or {}).values(), *([s.default] if s.default is not None else [])])
    if s.type == "linear":
        return s.ceiling
    return max([b.points for b in s.bins or []] + ([s.default] if s.default is not None else []))


def _compare(column: str, c: Condition) -> str:
    op = "=" if c.op == "==" else "<>" if c.op == "!=" else c.op
    value = F.dec(c.value) if isinstance(c.value, Decimal) else F.text_literal(c.value)
    return f"{column} {op} {value}"


@dataclass(frozen=True)
class Compiled:
    """A model specialised for one snapshot date: the portable query and what it outputs."""

    spec: ModelSpec
    as_of: date
    query: exp.Expr
    feature_columns: dict[str, str]  # indicator code → column
    cite_columns: dict[str, str]  # indicator code → feature column prefix (i__code, v__code, k__code)
    cite_bits: dict[str, int]  # feature column → its bit in the packed ``cites`` list

    def cites(self, row: dict[str, Any]) -> dict[str, list[int]]:
        """Record ids each feature rests on, by feature column (``i__code``, ``v__code`` ...)."""
        out: dict[str, list[int]] = {}
        for packed in row.get("cites") or []:
            record_id, mask = divmod(int(packed), 1 << CITE_BITS)
            for column, bit in self.cite_bits.items():
                if mask >> bit & 1:
                    out.setdefault(column, []).append(record_id)
        for column in self.latest_columns:
            value = row.get(f"c_{column}")
            if value is not None:
                out[column] = [int(value)]
        return out

    @property
    def latest_columns(self) -> list[str]:
        return [
            c.removeprefix("c_")
            for c in self.cite_columns.values()
            if c.removeprefix("c_") not in self.cite_bits
        ]

    def sql(self, dialect: str) -> str:
        """The query in an engine's dialect (rendered once per dialect)."""
        cache = self.__dict__.setdefault("_rendered", {})
        if dialect not in cache:
            cache[dialect] = render(self.query, dialect)
        text: str = cache[dialect]
        return text


def render(query: exp.Expr, dialect: str) -> str:
    return query.sql(dialect=dialect)


def compile_model(spec: ModelSpec, as_of: date) -> Compiled:
    """ONE query over ``subjects`` and ``records`` giving, per applicable subject: every
    indicator's feature value and points, the record ids it rests on, the dimension scores, the
    total, the grade by score, the veto and cap that applied and the final grade."""
    ctx = F.Context(as_of=as_of)
    rec_cols: list[str] = []
    # Which records each record-based feature rests on: one bit per feature in a per-record mask,
    # aggregated once per subject as sorted ``record_id * 2^CITE_BITS + mask`` numbers (one list
    # instead of one list per indicator).
    mask_terms: list[str] = []
    cite_bits: dict[str, int] = {}
    feat_cols: list[str] = ["s.subject_id AS subject_id"]
    feature_columns: dict[str, str] = {}
    cite_columns: dict[str, str] = {}
    uses: list[tuple[str, Condition | Indicator]] = [(f"i__{i.code}", i) for _, i in spec.indicators()]
    uses += [(f"v__{v.code}", v.when) for v in spec.vetoes] + [(f"k__{c.code}", c.when) for c in spec.caps]
    for column, use in uses:
        feature = F.FEATURES[use.feature]
        params = feature.params.model_validate(use.params)
        default = F.dec(0) if feature.kind == "numeric" else "''"
        if feature.record is not None:
            agg = feature.record(params, ctx)
            key = "CAST(decision_ymd AS BIGINT) * 10000000000 + record_id"
            if agg.how == "sum":
                if agg.value == F.dec(1):  # a plain count
                    rec_cols.append(f"COUNT(*) FILTER (WHERE {agg.condition}) AS f_{column}")
                else:
                    rec_cols.append(f"SUM({agg.value}) FILTER (WHERE {agg.condition}) AS f_{column}")
                bit = len(cite_bits)
                if bit >= CITE_BITS:
                    raise ModelError(
                        f"Evaluation model {spec.code}: more than {CITE_BITS} record-based indicators, vetoes and caps",
                        f"评价模型 {spec.code}：基于记录的指标、否决和封顶条件超过 {CITE_BITS} 个",
                        rule="too_many_record_features",
                    )
                cite_bits[column] = bit
                mask_terms.append(
                    f"CASE WHEN {agg.condition} AND ({agg.value}) > {F.dec(0)} THEN {1 << bit} ELSE 0 END"
                )
            else:
                rec_cols.append(f"ARG_MAX({agg.value}, {key}) FILTER (WHERE {agg.condition}) AS f_{column}")
                rec_cols.append(f"ARG_MAX(record_id, {key}) FILTER (WHERE {agg.condition}) AS c_{column}")
                feat_cols.append(f"r.c_{column} AS c_{column}")
            # Counts and (wide, 128-bit) sums come back as DECIMAL(18,4) before anything else.
            value = f"CAST(r.f_{column} AS {F.DEC})" if feature.kind == "numeric" else f"r.f_{column}"
            feat_cols.append(f"COALESCE({value}, {default}) AS f_{column}")
            if isinstance(use, Indicator):
                cite_columns[use.code] = f"c_{column}"
        else:
            assert feature.subject is not None
            feat_cols.append(f"{feature.subject(params, ctx)} AS f_{column}")
        if isinstance(use, Indicator):
            feature_columns[use.code] = f"f_{column}"

    pts = [
        f"CAST({_points_sql(f'f_i__{i.code}', i.scoring)} AS {F.POINTS}) AS p__{i.code}"
        for _, i in spec.indicators()
    ]
    dims = [
        f"CAST(ROUND({' + '.join(f'{F.dec(i.weight, F.WEIGHT)} * p__{i.code}' for i in d.indicators)}, 4) AS {F.POINTS}) AS d__{d.code}"
        for d in spec.dimensions
    ]
    factor = {d.code: d.weight * spec.scale / 100 for d in spec.dimensions}
    total = " + ".join(f"{F.dec(factor[d.code], F.POINTS)} * d__{d.code}" for d in spec.dimensions)
    ranks = {g.code: n + 1 for n, g in enumerate(spec.grades)}
    by_score = " ".join(f"WHEN total >= {F.dec(g.min_score)} THEN {ranks[g.code]}" for g in spec.grades)
    caps = [
        f"CASE WHEN {_compare(f'f_k__{c.code}', c.when)} THEN {ranks[c.max_grade]} ELSE 0 END"
        for c in spec.caps
    ]
    capped = f"GREATEST(score_rank, {', '.join(caps)})" if caps else "score_rank"
    # The worst veto wins; among equal grades the first listed names the reason.
    vetoes = sorted(spec.vetoes, key=lambda v: -ranks[v.grade])
    veto_rank = " ".join(f"WHEN {_compare(f'f_v__{v.code}', v.when)} THEN {ranks[v.grade]}" for v in vetoes)
    veto_code = " ".join(
        f"WHEN {_compare(f'f_v__{v.code}', v.when)} THEN {F.text_literal(v.code)}" for v in vetoes
    )
    # The binding cap: the one imposing the worst grade when it is worse than the score's.
    cap_code = " ".join(
        f"WHEN {_compare(f'f_k__{c.code}', c.when)} AND {ranks[c.max_grade]} > score_rank THEN {F.text_literal(c.code)}"
        for c in sorted(spec.caps, key=lambda c: -ranks[c.max_grade])
    )
    grade_of = " ".join(f"WHEN final_rank = {ranks[g]} THEN {F.text_literal(g)}" for g in ranks)
    score_grade_of = " ".join(f"WHEN score_rank = {ranks[g]} THEN {F.text_literal(g)}" for g in ranks)
    kinds = ", ".join(F.text_literal(k) for k in spec.subject_kinds)
    statuses = ", ".join(F.text_literal(k) for k in spec.subject_statuses)
    mask = " + ".join(mask_terms) if mask_terms else "0"
    rec_sql = ", ".join(rec_cols) if rec_cols else "COUNT(*) AS n_records"
    sql = f"""
    WITH r AS (SELECT subject_id, {rec_sql} FROM records GROUP BY subject_id),
    rc AS (
        SELECT subject_id, ARRAY_SORT(ARRAY_AGG(record_id * {1 << CITE_BITS} + cite_mask)) AS cites
        FROM (SELECT subject_id, record_id, CAST({mask} AS BIGINT) AS cite_mask FROM records) AS m
        WHERE cite_mask > 0 GROUP BY subject_id
    ),
    feat AS (
        SELECT {", ".join(feat_cols)} FROM subjects AS s LEFT JOIN r ON r.subject_id = s.subject_id
        WHERE s.kind IN ({kinds}) AND s.status IN ({statuses})
    ),
    pts AS (SELECT feat.*, {", ".join(pts)} FROM feat),
    dims AS (SELECT pts.*, {", ".join(dims)} FROM pts),
    tot AS (SELECT dims.*, CAST(ROUND({total}, 2) AS DECIMAL(12,2)) AS total FROM dims),
    ranked AS (SELECT tot.*, CASE {by_score} ELSE {len(ranks)} END AS score_rank FROM tot),
    capped AS (
        SELECT ranked.*, {capped} AS capped_rank,
          {f"CASE {veto_rank} ELSE 0 END" if vetoes else "0"} AS veto_rank,
          {f"CASE {veto_code} ELSE NULL END" if vetoes else "CAST(NULL AS VARCHAR)"} AS veto,
          {f"CASE {cap_code} ELSE NULL END" if caps else "CAST(NULL AS VARCHAR)"} AS cap
        FROM ranked
    ),
    graded AS (
        SELECT capped.*, CASE WHEN veto_rank > 0 THEN veto_rank ELSE capped_rank END AS final_rank FROM capped
    )
    SELECT graded.*, CASE {score_grade_of} END AS score_grade, CASE {grade_of} END AS grade,
      CASE WHEN veto_rank > 0 THEN NULL ELSE cap END AS binding_cap, rc.cites AS cites
    FROM graded LEFT JOIN rc ON rc.subject_id = graded.subject_id
    """
    query = sqlglot.parse_one(sql, read="duckdb")
    return Compiled(spec, as_of, query, feature_columns, cite_columns, cite_bits)
