"""Response shapes of the catalog API."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from xinyong.catalog.service import CatalogItem, FieldSpec


class ItemSummary(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    polarity: Literal["positive", "negative", "neutral"]
    subject_kinds: list[str]
    double_publicity: bool
    publicity: str
    update_frequency: str
    field_count: int
    required_fields: list[str]
    effective_from: date
    source: str
    template_url: str

    @classmethod
    def of(cls, item: CatalogItem) -> ItemSummary:
        return cls(
            code=item.code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            category=item.category,
            polarity=item.polarity,
            subject_kinds=item.subject_kinds,
            double_publicity=item.double_publicity,
            publicity=item.publicity,
            update_frequency=item.update_frequency,
            field_count=len(item.fields),
            required_fields=[f.code for f in item.required_fields()],
            effective_from=item.effective_from,
            source=item.source,
            template_url=f"/api/v1/catalog/items/{item.code}/template.xlsx",
        )


class ItemList(BaseModel):
    ruleset: str
    version: str
    items: list[ItemSummary]


class ItemDetail(ItemSummary):
    source_departments: list[str]
    action_kind: str | None
    timeliness_working_days: int | None  # in force today
    fields: list[FieldSpec]


class RuleTable(BaseModel):
    """A rule table as loaded from the ruleset (entries keep effective_from and source)."""

    ruleset: str
    version: str
    file: str
    table: dict[str, Any]
