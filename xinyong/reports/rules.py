"""The report rules as data (``rulesets/<name>/reports/reports.yaml``): validity, free reports a
year, the issuing platform, the national sections, the fields of special reports, the matters
that ask for a report (信用报告应用事项清单) and the improvement advice. Each block has versions;
the one in force on the issue day applies."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field

from xinyong.catalog.ruleset import Sourced, Strict, read_yaml, validate_file
from xinyong.core.clock import today_china
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.core.settings import get_settings

REPORT_KINDS = ("public", "special")
KIND_NAMES_ZH = {"public": "公共信用信息报告", "special": "专项信用报告"}


class Issuing(Sourced):
    validity_days: int = Field(ge=1, le=366)
    free_per_year: int = Field(ge=0, le=366)
    special_period_years: int = Field(ge=1, le=10)


class Platform(Sourced):
    name_zh: str = Field(min_length=1)
    issuer_zh: str = Field(min_length=1)
    # A path on this platform ("/verify", joined to the deployment's XINYONG_PUBLIC_URL) or a full
    # address elsewhere (a provincial verification site).
    verify_url: str = Field(min_length=1)

    @property
    def verify_address(self) -> str:
        if not self.verify_url.startswith("/"):
            return self.verify_url
        settings = get_settings()
        base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
        return base + self.verify_url


class Section(Strict):
    code: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    items: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)
    registration: bool = False
    grade: bool = False
    commitments: bool = False
    advice: bool = False


class Sections(Sourced):
    items: list[Section] = Field(min_length=1)


class Advice(Sourced):
    negative_records: str
    lists: str
    anomaly: str
    no_commitment: str
    clean: str


class SpecialField(Strict):
    code: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    items: list[str] = Field(min_length=1)
    departments: list[str] = Field(min_length=1)


class Fields(Sourced):
    items: list[SpecialField] = Field(min_length=1)


class Matter(Strict):
    code: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    kinds: list[Literal["public", "special"]] = Field(min_length=1)


class Matters(Sourced):
    items: list[Matter] = Field(min_length=1)


class ReportsFile(Strict):
    issuing: list[Issuing] = Field(min_length=1)
    platform: list[Platform] = Field(min_length=1)
    sections: list[Sections] = Field(min_length=1)
    advice: list[Advice] = Field(min_length=1)
    fields: list[Fields] = Field(min_length=1)
    matters: list[Matters] = Field(min_length=1)


S = TypeVar("S", bound=Sourced)


def in_force(versions: list[S], day: date, what: str) -> S:
    live = [v for v in versions if v.effective_from <= day]
    if not live:
        raise InvalidInput(
            f"No {what} rule is in force on {day}",
            f"{day} 无有效的信用报告规则（{what}）",
            code="reports.rule_missing",
            rule=what,
            value=day.isoformat(),
        )
    return max(live, key=lambda v: v.effective_from)


def _path() -> Path:
    return Path(get_settings().ruleset_dir) / "reports" / "reports.yaml"


def load_reports_rules(path: Path) -> ReportsFile:
    """Parse and validate a ``reports.yaml`` (``RulesetError`` names the problem)."""
    return validate_file(ReportsFile, path, read_yaml(path))


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> ReportsFile:
    return load_reports_rules(Path(path))


def get_reports_rules() -> ReportsFile:
    path = _path()
    return _cached(str(path), path.stat().st_mtime if path.is_file() else 0.0)


def reset_reports_rules_cache() -> None:
    _cached.cache_clear()


class Rules:
    """The rules in force on one day, in one object (what an issue reads)."""

    def __init__(self, day: date | None = None) -> None:
        self.day = day or today_china()
        f = get_reports_rules()
        self.issuing = in_force(f.issuing, self.day, "issuing")
        self.platform = in_force(f.platform, self.day, "platform")
        self.sections = in_force(f.sections, self.day, "sections")
        self.advice = in_force(f.advice, self.day, "advice")
        self.fields = in_force(f.fields, self.day, "fields")
        self.matters = in_force(f.matters, self.day, "matters")

    def field(self, code: str) -> SpecialField:
        for f in self.fields.items:
            if code in (f.code, f.name_zh):
                return f
        raise NotFound(
            f"Unknown special report field {code!r}",
            f"未知的专项信用报告领域：{code}",
            code="reports.unknown_field",
            field="field",
            value=code,
            allowed=[f.code for f in self.fields.items],
        )

    def matter(self, code: str) -> Matter:
        for m in self.matters.items:
            if code in (m.code, m.name_zh):
                return m
        raise InvalidInput(
            f"Unknown report matter {code!r}",
            f"信用报告应用事项清单中没有该事项：{code}",
            code="reports.unknown_matter",
            field="matter",
            value=code,
            allowed=[m.code for m in self.matters.items],
        )
