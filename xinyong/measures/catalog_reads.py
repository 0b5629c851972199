"""The published measure catalog (措施清单) as the API and the CLI show it: the measures in force,
one measure, the matters, the catalog version; and a matter code resolved (``measures.unknown_matter``
otherwise). The catalog itself (its files, validation, cache) is ``catalog.py``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from xinyong.core.clock import today_china
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.measures.catalog import Measure, MeasureCatalog, Trigger, get_measures
from xinyong.measures.schemas import BasisOut, MatterOut, MatterRef, MeasureOut, TriggerOut


def _basis_out(cat: MeasureCatalog, codes: Iterable[str]) -> list[BasisOut]:
    return [
        BasisOut(code=b.code, law=b.law, article=b.article, excerpt_zh=b.excerpt_zh)
        for b in (cat.bases[c] for c in codes)
    ]


def _trigger_out(cat: MeasureCatalog, t: Trigger) -> TriggerOut:
    return TriggerOut(
        lists=t.lists,
        grades=t.grades,
        records=t.records.model_dump(exclude_none=True) if t.records else None,
        classes=sorted(set(cat.trigger_classes(t))),
    )


def _measure_out(cat: MeasureCatalog, m: Measure) -> MeasureOut:
    return MeasureOut(
        code=m.code,
        name_zh=m.name_zh,
        kind=m.kind,
        category=m.category,
        content_zh=m.content_zh,
        department=m.department,
        matters=m.matters,
        subject_kinds=list(m.subject_kinds) if m.subject_kinds else None,
        bases=_basis_out(cat, m.bases),
        when=[_trigger_out(cat, t) for t in m.when],
        unless=[_trigger_out(cat, t) for t in m.unless],
        unless_bases=_basis_out(cat, m.unless_bases),
        max_months=m.duration.max_months if m.duration else None,
        effective_from=m.effective_from,
        source=m.source,
    )


def list_measures(
    *, kind: str | None = None, matter: str | None = None, today: date | None = None
) -> list[MeasureOut]:
    """The published measure catalog in force (清单), optionally one kind or one matter."""
    cat = get_measures()
    if matter is not None:
        _matter(cat, matter)
    out = []
    for m in cat.in_force(today or today_china()):
        if (kind is None or m.kind == kind) and (matter is None or matter in m.matters):
            out.append(_measure_out(cat, m))
    return out


def get_measure(code: str) -> MeasureOut:
    cat = get_measures()
    m = cat.measures.get(code)
    if m is None:
        raise NotFound(
            f"Unknown measure {code}",
            f"措施清单中没有该措施：{code}",
            code="measures.unknown_measure",
            measure=code,
        )
    return _measure_out(cat, m)


def list_matters() -> list[MatterOut]:
    cat = get_measures()
    return [
        MatterOut(code=m.code, name_zh=m.name_zh, description_zh=m.description_zh, source=m.source)
        for m in cat.matters.values()
    ]


def catalog_version() -> str:
    return get_measures().version


def _matter(cat: MeasureCatalog, code: str) -> MatterRef:
    m = cat.matters.get(code)
    if m is None:
        raise InvalidInput(
            f"Unknown matter {code}",
            f"事项代码 {code} 不存在",
            code="measures.unknown_matter",
            field="matter",
            value=code,
            allowed=sorted(cat.matters),
        )
    return MatterRef(code=m.code, name_zh=m.name_zh)
