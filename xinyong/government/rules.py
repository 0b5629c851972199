"""The government rules as data (``rulesets/default/government/``): the integrity model
(``model.yaml``) and who is notified of a default (``notices.yaml``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.settings import get_settings


class Indicator(BaseModel):
    code: str
    name_zh: str
    feature: Literal["records", "double_publicity_late_rate"]
    items: list[str] = []
    points_each: float = Field(gt=0)
    max_points: float = Field(gt=0)
    rule_zh: str


class Grade(BaseModel):
    code: str
    name_zh: str
    min_score: float


class Veto(BaseModel):
    indicator: str
    grade: str
    rule_zh: str


class GovernmentModel(BaseModel):
    code: str
    version: str
    name_zh: str
    name_en: str
    effective_from: date
    source: str = Field(min_length=1)
    scale: float = Field(gt=0)
    indicators: list[Indicator] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    vetoes: list[Veto] = []

    @model_validator(mode="after")
    def _check(self) -> GovernmentModel:
        codes = {i.code for i in self.indicators}
        grades = {g.code for g in self.grades}
        for v in self.vetoes:
            if v.indicator not in codes or v.grade not in grades:
                raise ValueError(f"veto {v.indicator}->{v.grade} names an unknown indicator or grade")
        for i in self.indicators:
            if i.feature == "records" and not i.items:
                raise ValueError(f"indicator {i.code} counts records but names no items")
        if sorted(g.min_score for g in self.grades)[0] > 0:
            raise ValueError("the lowest grade must start at 0")
        return self


class Recipient(BaseModel):
    name_zh: str
    department_code: str | None = None


class NoticeRules(BaseModel):
    effective_from: date
    source: str = Field(min_length=1)
    official_roles: list[str]
    body: list[Literal["superior", "audit"]]
    official: list[Literal["employer", "discipline", "personnel"]]
    recipients: dict[str, Recipient]
    default_superior: Recipient

    @model_validator(mode="after")
    def _check(self) -> NoticeRules:
        fixed = {r for r in [*self.body, *self.official] if r not in ("superior", "employer")}
        missing = fixed - set(self.recipients)
        if missing:
            raise ValueError(f"recipients missing for {', '.join(sorted(missing))}")
        return self


def _bad(path: Path, exc: Exception) -> InvalidInput:
    return InvalidInput(
        f"Bad government rules {path.name}: {exc}",
        f"政务诚信规则文件 {path.name} 有误：{exc}",
        code="government.bad_rules",
        field=path.name,
    )


def load_government_model(path: Path) -> GovernmentModel:
    try:
        return GovernmentModel.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise _bad(path, exc) from exc


def load_notice_rules(path: Path) -> list[NoticeRules]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        versions = [NoticeRules.model_validate(v) for v in data.get("versions") or []]
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise _bad(path, exc) from exc
    return sorted(versions, key=lambda v: v.effective_from)


def _dir() -> Path:
    return Path(get_settings().ruleset_dir) / "government"


@lru_cache(maxsize=4)
def _model(path: str, mtime: float) -> GovernmentModel:
    return load_government_model(Path(path))


@lru_cache(maxsize=4)
def _notices(path: str, mtime: float) -> tuple[NoticeRules, ...]:
    return tuple(load_notice_rules(Path(path)))


def get_government_model() -> GovernmentModel:
    path = _dir() / "model.yaml"
    return _model(str(path), path.stat().st_mtime)


def get_notice_rules(on: date) -> NoticeRules:
    path = _dir() / "notices.yaml"
    in_force = [v for v in _notices(str(path), path.stat().st_mtime) if v.effective_from <= on]
    if not in_force:
        raise NotFound(
            f"No notice rules in force on {on}", f"{on} 无有效的政务失信通报规则", code="government.no_rules"
        )
    return in_force[-1]


def reset_government_cache() -> None:
    _model.cache_clear()
    _notices.cache_clear()
