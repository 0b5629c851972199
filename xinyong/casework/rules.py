"""Rules every procedure's ruleset file shares: deadline schedules (step → working days after
another step), attachment limits and letter templates. A domain's file model subclasses
:class:`CaseRules` to add its own sections and is read by :func:`load_case_rules`."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, model_validator

from xinyong.catalog.ruleset import RulesetError, Sourced, Strict, latest_in_force, read_yaml, validate_file

FileType = Literal["pdf", "jpeg", "png"]


class StepRule(Strict):
    """A step owed within ``within`` working days after the day the step ``after`` happened
    (``filed`` is the day the case was received)."""

    within: int = Field(ge=0)
    after: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    # Who owes the step: staff steps late are overdue in the console queue; applicant steps are not.
    party: Literal["staff", "provider", "applicant"] = "staff"
    # Working days late after which an overdue step escalates (督办); None: never.
    escalate_after: int | None = Field(default=None, ge=0)
    extension: int | None = Field(default=None, ge=1)  # working days it may be extended once


class Schedule(Sourced):
    """One version of a deadline schedule (a city's ordinance), in force from ``effective_from``."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name_zh: str = Field(min_length=1)
    steps: dict[str, StepRule]

    @model_validator(mode="after")
    def _anchors_known(self) -> Schedule:
        for name, rule in self.steps.items():
            if rule.after != "filed" and rule.after not in self.steps and not rule.after.endswith("_on"):
                raise ValueError(f"step {name!r}: after {rule.after!r} is neither 'filed' nor a step")
        return self


class AttachmentRule(Sourced):
    max_bytes: int = Field(ge=1)
    max_files: int = Field(ge=1)
    types: list[FileType] = Field(min_length=1)


class LetterTemplate(Strict):
    title_zh: str = Field(min_length=1)
    number_prefix: str = Field(min_length=1)  # e.g. 台信异更 → 台信异更〔2026〕3号
    template_zh: str = Field(min_length=1)  # str.format placeholders, e.g. {applicant}
    source: str = Field(min_length=1)

    def fields(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.template_zh) if name}


class CaseRules(Strict):
    """The shared sections of a procedure's ruleset file."""

    default_schedule: str
    schedules: list[Schedule] = Field(min_length=1)
    attachments: AttachmentRule
    letters: dict[str, LetterTemplate] = {}

    @model_validator(mode="after")
    def _default_exists(self) -> CaseRules:
        if self.default_schedule not in {s.code for s in self.schedules}:
            raise ValueError(f"default_schedule {self.default_schedule!r} is not one of the schedules")
        return self

    def schedule_codes(self) -> list[str]:
        return sorted({s.code for s in self.schedules})

    def schedule(self, code: str | None, day: date) -> Schedule:
        """The version of schedule ``code`` (the default when None) in force on ``day``."""
        wanted = code or self.default_schedule
        found = latest_in_force([s for s in self.schedules if s.code == wanted], day)
        if found is None:
            raise RulesetError(
                f"No schedule {wanted!r} in force on {day}",
                f"规则集中没有{day}适用的期限方案“{wanted}”",
                rule="schedule_missing",
                schedule=wanted,
                day=day.isoformat(),
            )
        return found

    def letter(self, code: str) -> LetterTemplate:
        try:
            return self.letters[code]
        except KeyError:
            raise RulesetError(
                f"No letter template {code!r}",
                f"规则集中没有文书模板“{code}”",
                rule="letter_missing",
                letter=code,
            ) from None


R = TypeVar("R", bound=CaseRules)


def load_case_rules(model: type[R], path: Path) -> R:
    """Read and validate one procedure's ruleset file (errors name the file and the place)."""
    return validate_file(model, path, read_yaml(path))
