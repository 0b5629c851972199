"""The quality measures and the score, from plain totals (no database here): what the service
gathers from ingest, records and subjects goes in, a department's metrics come out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from xinyong.quality.rules import PARTS, QualityRules


@dataclass
class Totals:
    """What a department (or one of its items) sent in a month."""

    submissions: int = 0
    rows_total: int = 0
    rows_rejected: int = 0
    rows_created: int = 0
    rows_corrected: int = 0
    rows_late: int = 0
    rows_timed: int = 0
    rows_missing_required: int = 0
    versions: int = 0
    optional_slots: int = 0  # versions × the item's optional fields
    optional_filled: int = 0
    codes: set[str] = field(default_factory=set)
    error_codes: int = 0  # of ``codes``, those in open 错码/重码 cases
    upheld_objections: int | None = None  # None: a scorecard stored before the figure existed
    missing_months: int = 0
    previous_rows: int = 0

    def add(self, other: Totals) -> None:
        for name in (
            "submissions",
            "rows_total",
            "rows_rejected",
            "rows_created",
            "rows_corrected",
            "rows_late",
            "rows_timed",
            "rows_missing_required",
            "versions",
            "optional_slots",
            "optional_filled",
            "missing_months",
            "previous_rows",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.codes |= other.codes
        if other.upheld_objections is not None:
            self.upheld_objections = (self.upheld_objections or 0) + other.upheld_objections


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


@dataclass
class Metrics:
    rows_total: int
    submissions: int
    timeliness: float | None  # share of rows within the working-day limit
    required_complete: float | None  # share of rows with every required value
    optional_filled: float | None  # share of optional fields filled in stored versions
    completeness: float | None
    accuracy: float | None
    rows_rejected: int
    rows_corrected: int
    upheld_objections: int | None
    codes: int
    error_codes: int
    code_error_per_10000: float | None
    volume_change: float | None  # this month vs the previous: (now − before) / before
    previous_rows: int
    missing_months: int
    parts: dict[str, float | None]  # each part's points 0..1 (None: not measurable)
    score: float  # 0..100

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def measure(t: Totals, rules: QualityRules) -> Metrics:
    timeliness = _ratio(t.rows_timed - t.rows_late, t.rows_timed)
    required = _ratio(t.rows_total - t.rows_missing_required, t.rows_total)
    optional = _ratio(t.optional_filled, t.optional_slots)
    if required is not None and optional is not None:
        completeness: float | None = round((required + optional) / 2, 6)
    else:
        completeness = required if optional is None else optional
    wrong = t.rows_rejected + t.rows_corrected + (t.upheld_objections or 0)
    accuracy = None if not t.rows_total else max(0.0, round(1 - wrong / t.rows_total, 6))
    per_10000 = round(t.error_codes * 10_000 / len(t.codes), 4) if t.codes else None
    if per_10000 is None:
        code_points: float | None = None
    elif per_10000 < rules.code_error_goal_per_10000:
        code_points = 1.0
    else:
        span = rules.code_error_zero_at_per_10000 - rules.code_error_goal_per_10000
        code_points = max(0.0, 1 - (per_10000 - rules.code_error_goal_per_10000) / span)
    continuity = max(0.0, 1 - t.missing_months * rules.continuity_penalty_per_missing_month)
    parts: dict[str, float | None] = {
        "timeliness": timeliness,
        "completeness": completeness,
        "accuracy": accuracy,
        "code_errors": code_points,
        "continuity": continuity,
    }
    if not t.rows_total:
        parts = dict.fromkeys(PARTS, None)  # nothing sent this month: nothing to credit
    weight = sum(rules.weights[p] for p in PARTS if parts[p] is not None)
    score = sum(rules.weights[p] * (parts[p] or 0.0) for p in PARTS if parts[p] is not None)
    return Metrics(
        rows_total=t.rows_total,
        submissions=t.submissions,
        timeliness=timeliness,
        required_complete=required,
        optional_filled=optional,
        completeness=completeness,
        accuracy=accuracy,
        rows_rejected=t.rows_rejected,
        rows_corrected=t.rows_corrected,
        upheld_objections=t.upheld_objections,
        codes=len(t.codes),
        error_codes=t.error_codes,
        code_error_per_10000=per_10000,
        volume_change=_ratio(t.rows_total - t.previous_rows, t.previous_rows),
        previous_rows=t.previous_rows,
        missing_months=t.missing_months,
        parts=parts,
        score=round(100 * score / weight, 2) if weight else 0.0,
    )


def rank(scores: list[tuple[str, float]]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4): equal scores share a place."""
    ordered = sorted(scores, key=lambda kv: (-kv[1], kv[0]))
    out: dict[str, int] = {}
    for n, (key, score) in enumerate(ordered):
        out[key] = out[ordered[n - 1][0]] if n and ordered[n - 1][1] == score else n + 1
    return out
