"""Who may see which records and which of their fields: the rule lives here, in one place.

Only ``public`` exists for now; the access-control issue adds the subject's own view,
government sharing and authorised queries by extending ``VISIBILITIES`` and the two functions
below, without touching the callers.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_

from xinyong.catalog.service import SUBJECT_NAME, CatalogItem
from xinyong.core.errors import InvalidInput
from xinyong.core.identifiers import mask_id_number
from xinyong.records.models import Record

Visibility = Literal["public"]
VISIBILITIES: tuple[str, ...] = ("public",)

# The subject kind whose personal information the public view protects (GLOSSARY: subject kinds).
NATURAL_PERSON = "natural_person"
# RULES.md (Shenzhen §38): penalties on individuals are not displayed publicly. The category
# name is the catalog's own label for administrative penalties, not a legal number.
PENALTY_CATEGORY = "行政处罚"
# Field disclosure levels each visibility may see (catalog FieldSpec.disclosure).
_DISCLOSURES: dict[str, frozenset[str]] = {"public": frozenset({"public"})}


def check_visibility(visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise InvalidInput(
            f"Unknown visibility {visibility!r}",
            f"不支持的可见范围：{visibility}",
            code="records.unknown_visibility",
            field="visibility",
            value=visibility,
            allowed=list(VISIBILITIES),
        )


def record_filter(visibility: str, *, subject_kind: str | None, today: date) -> list[ColumnElement[bool]]:
    """SQL conditions a record must meet to be seen at ``visibility``."""
    check_visibility(visibility)
    conditions: list[ColumnElement[bool]] = [
        # Withdrawn records and records whose publicity ended are no longer public.
        Record.status == "in_force",
        # Inside the publicity window; both ends inclusive (publicity_end is the last day shown).
        # A record without a window, or whose window ends the day it starts (the catalog's
        # PublicityWindow.published = False: the rule says the class is not published at all,
        # publicity.yaml ``publish: false``), is not public.
        Record.publicity_start.is_not(None),
        Record.publicity_start <= today,
        or_(
            Record.publicity_end.is_(None),
            and_(Record.publicity_end >= today, Record.publicity_end > Record.publicity_start),
        ),
    ]
    if subject_kind == NATURAL_PERSON:
        conditions.append(Record.category != PENALTY_CATEGORY)
    return [and_(*conditions)]


def record_visible(
    visibility: str,
    *,
    subject_kind: str | None,
    today: date,
    status: str,
    category: str,
    publicity_start: date | None,
    publicity_end: date | None,
) -> bool:
    """The same rule as ``record_filter``, for one record already loaded."""
    check_visibility(visibility)
    if status != "in_force" or publicity_start is None or publicity_start > today:
        return False
    if publicity_end is not None and (publicity_end < today or publicity_end <= publicity_start):
        return False
    return not (subject_kind == NATURAL_PERSON and category == PENALTY_CATEGORY)


def visible_fields(
    item: CatalogItem, data: dict[str, Any], visibility: str, *, subject_kind: str | None
) -> dict[str, Any]:
    """The fields of ``data`` that ``visibility`` may see; personal data de-identified."""
    check_visibility(visibility)
    allowed = _DISCLOSURES[visibility]
    specs = {f.code: f for f in item.fields}
    out: dict[str, Any] = {}
    for code, value in data.items():
        spec = specs.get(code)
        # A field the catalog does not describe has no disclosure level: not shown.
        if spec is None or spec.disclosure not in allowed or value is None:
            continue
        if spec.type == "id_number":
            value = mask_id_number(str(value))
        elif subject_kind == NATURAL_PERSON and code == SUBJECT_NAME:
            # RULES.md (Shenzhen §38): published personal information is de-identified.
            value = mask_person_name(str(value))
        out[code] = value
    return out


def mask_person_name(name: str) -> str:
    """张三丰 → 张**: the surname stays, the given name is hidden."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name
