"""Who may see which records and which of their fields: the rule lives here, in one place.

Views (``Viewer.visibility``; who gets which is decided by ``xinyong.access.service.access_for``
from the caller's role and purpose, see docs/security.md):

* ``public``: only ``public`` fields of records in force inside their publicity window; never a
  natural person's penalties; a natural person's name de-identified.
* ``subject`` (a subject reading its own file): ``public`` + ``on_request`` fields of ALL its
  records, ended and withdrawn included, with every version.
* ``government`` (regulator, credit office, with a purpose): ``public`` + ``on_request`` +
  ``government`` fields of the records in force (publicity window or not, natural persons'
  penalties included). Ended and withdrawn records are no longer shared (Order 36: repair stops
  sharing and use).
* ``provider`` (a provider department, with a purpose): the government view of ITS OWN
  department's records (``own_provider_id``), the public view of everything else.

``confidential`` fields never leave the platform: no view lists them.

The rule reads a record's status, category, publicity window and provider; ``record_filter`` is
given the columns holding them (``records.models.Record``), so access does not reach into the
records domain's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_

from xinyong.catalog.service import SUBJECT_NAME, CatalogItem
from xinyong.core.errors import InvalidInput
from xinyong.core.identifiers import mask_id_number, mask_person_name

Visibility = Literal["public", "subject", "government", "provider"]
VISIBILITIES: tuple[str, ...] = ("public", "subject", "government", "provider")

# The subject kind whose personal information the public view protects (GLOSSARY: subject kinds).
NATURAL_PERSON = "natural_person"
# RULES.md (Shenzhen §38): penalties on individuals are not displayed publicly. The category
# name is the catalog's own label for administrative penalties, not a legal number.
PENALTY_CATEGORY = "行政处罚"
# Field disclosure levels each view may see (catalog FieldSpec.disclosure). "confidential" is in none.
_DISCLOSURES: dict[str, frozenset[str]] = {
    "public": frozenset({"public"}),
    "subject": frozenset({"public", "on_request"}),
    "government": frozenset({"public", "on_request", "government"}),
}


# The columns of a record the rule reads: ``status``, ``category``, ``publicity_start``,
# ``publicity_end``, ``provider_id`` (the mapped class ``xinyong.records.models.Record``; a
# Protocol cannot say "class attributes of a mapped class" to mypy).
RecordColumns = Any


@dataclass(frozen=True)
class Viewer:
    """A view of records: the visibility and, for ``provider``, the provider whose records it owns."""

    visibility: str = "public"
    own_provider_id: int | None = None

    def level_for(self, provider_id: int | None) -> str:
        """The effective level (public / subject / government) for a record of ``provider_id``."""
        if self.visibility == "provider":
            return (
                "government" if provider_id is not None and provider_id == self.own_provider_id else "public"
            )
        return self.visibility

    @property
    def public(self) -> bool:
        return self.visibility == "public"


def as_viewer(visibility: str | Viewer) -> Viewer:
    viewer = visibility if isinstance(visibility, Viewer) else Viewer(visibility)
    check_visibility(viewer)
    return viewer


def check_visibility(visibility: str | Viewer) -> None:
    value = visibility.visibility if isinstance(visibility, Viewer) else visibility
    if value not in VISIBILITIES:
        raise InvalidInput(
            f"Unknown visibility {value!r}",
            f"不支持的可见范围：{value}",
            code="records.unknown_visibility",
            field="visibility",
            value=value,
            allowed=list(VISIBILITIES),
        )
    if value == "provider" and (not isinstance(visibility, Viewer) or visibility.own_provider_id is None):
        raise InvalidInput(
            "The provider view needs the provider's id",
            "信息提供单位视图须指明本单位",
            code="records.unknown_visibility",
            field="visibility",
            value=value,
        )


def _public_conditions(record: RecordColumns, subject_kind: str | None, today: date) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [
        # Withdrawn records and records whose publicity ended are no longer public.
        record.status == "in_force",
        # Inside the publicity window; both ends inclusive (publicity_end is the last day shown).
        # A record without a window, or whose window ends the day it starts (the catalog's
        # PublicityWindow.published = False: the rule says the class is not published at all,
        # publicity.yaml ``publish: false``), is not public.
        record.publicity_start.is_not(None),
        record.publicity_start <= today,
        or_(
            record.publicity_end.is_(None),
            and_(record.publicity_end >= today, record.publicity_end > record.publicity_start),
        ),
    ]
    if subject_kind == NATURAL_PERSON:
        conditions.append(record.category != PENALTY_CATEGORY)
    return and_(*conditions)


def record_filter(
    visibility: str | Viewer, *, subject_kind: str | None, today: date, record: RecordColumns
) -> list[ColumnElement[bool]]:
    """SQL conditions a record (its columns: ``record``) must meet to be seen at ``visibility``."""
    viewer = as_viewer(visibility)
    if viewer.visibility == "subject":
        # Everything of its own file except what was purged after the retention period and
        # what waits for its department's approval.
        return [record.status.not_in(("purged", "pending"))]
    if viewer.visibility == "government":
        return [record.status == "in_force"]
    public = _public_conditions(record, subject_kind, today)
    if viewer.visibility == "provider":
        # A provider sees its own records in force and those waiting for its approval.
        own = and_(record.provider_id == viewer.own_provider_id, record.status.in_(("in_force", "pending")))
        return [or_(own, public)]
    return [public]


def record_visible(
    visibility: str | Viewer,
    *,
    subject_kind: str | None,
    today: date,
    status: str,
    category: str,
    publicity_start: date | None,
    publicity_end: date | None,
    provider_id: int | None = None,
) -> bool:
    """The same rule as ``record_filter``, for one record already loaded."""
    level = as_viewer(visibility).level_for(provider_id)
    if level == "subject":
        return status not in ("purged", "pending")
    if level == "government":
        return status == "in_force"
    if status != "in_force" or publicity_start is None or publicity_start > today:
        return False
    if publicity_end is not None and (publicity_end < today or publicity_end <= publicity_start):
        return False
    return not (subject_kind == NATURAL_PERSON and category == PENALTY_CATEGORY)


def visible_fields(
    item: CatalogItem,
    data: dict[str, Any],
    visibility: str | Viewer,
    *,
    subject_kind: str | None,
    provider_id: int | None = None,
) -> dict[str, Any]:
    """The fields of ``data`` that ``visibility`` may see; personal data de-identified in the
    public view. ID numbers in record data are stored masked already and stay masked."""
    level = as_viewer(visibility).level_for(provider_id)
    allowed = _DISCLOSURES[level]
    specs = {f.code: f for f in item.fields}
    out: dict[str, Any] = {}
    for code, value in data.items():
        spec = specs.get(code)
        # A field the catalog does not describe has no disclosure level: not shown.
        if spec is None or spec.disclosure not in allowed or value is None:
            continue
        if spec.type == "id_number":
            value = mask_id_number(str(value))
        elif level == "public" and subject_kind == NATURAL_PERSON and code == SUBJECT_NAME:
            # RULES.md (Shenzhen §38): published personal information is de-identified.
            value = mask_person_name(str(value))
        out[code] = value
    return out
