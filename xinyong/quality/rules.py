"""The quality scorecard rules (``rulesets/default/quality/scorecard.yaml``): weights and the
重错码 and continuity parameters, versioned by effective date."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, model_validator

from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.settings import get_settings

PARTS = ("timeliness", "completeness", "accuracy", "code_errors", "continuity")


class QualityRules(BaseModel):
    version: str
    effective_from: date
    source: str = Field(min_length=1)
    weights: dict[str, float]
    code_error_goal_per_10000: float = Field(gt=0)
    code_error_zero_at_per_10000: float = Field(gt=0)
    continuity_months: int = Field(ge=1, le=36)
    continuity_penalty_per_missing_month: float = Field(gt=0, le=1)
    # Optional fields that only some subjects have (a person's ID, 操作类型): not counted.
    completeness_ignore: list[str] = []

    @model_validator(mode="after")
    def _check(self) -> QualityRules:
        if set(self.weights) != set(PARTS):
            raise ValueError(f"weights must name exactly {', '.join(PARTS)}")
        if abs(sum(self.weights.values()) - 1) > 1e-6:
            raise ValueError("weights must sum to 1")
        if self.code_error_zero_at_per_10000 <= self.code_error_goal_per_10000:
            raise ValueError("code_error_zero_at_per_10000 must exceed the goal")
        return self


def load_quality(path: Path) -> list[QualityRules]:
    """Every version in the file, oldest first; a bad file is ``InvalidInput`` naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        versions = [QualityRules.model_validate(v) for v in data.get("versions") or []]
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise InvalidInput(
            f"Bad quality rules {path.name}: {exc}",
            f"数据质量评分规则文件 {path.name} 有误：{exc}",
            code="quality.bad_rules",
            field="versions",
        ) from exc
    if not versions:
        raise InvalidInput(
            f"{path.name} has no versions",
            f"{path.name} 未定义任何版本",
            code="quality.bad_rules",
            field="versions",
        )
    return sorted(versions, key=lambda v: v.effective_from)


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> tuple[QualityRules, ...]:
    return tuple(load_quality(Path(path)))


def get_quality(on: date) -> QualityRules:
    """The version in force on ``on``."""
    path = Path(get_settings().ruleset_dir) / "quality" / "scorecard.yaml"
    versions = _cached(str(path), path.stat().st_mtime)
    in_force = [v for v in versions if v.effective_from <= on]
    if not in_force:
        raise NotFound(
            f"No quality rules in force on {on}", f"{on} 无有效的数据质量评分规则", code="quality.no_rules"
        )
    return in_force[-1]


def reset_quality_cache() -> None:
    _cached.cache_clear()
