"""A demo province straight from the generator's streams into the evaluation's Arrow input
relations, without a store (the benchmark's input at sizes a store build would take hours for).

Rows are mapped to catalog fields and classed (severity, publicity window) by the catalog's own
rules, exactly as ingest and records would; corrections replace, withdrawals remove."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa

from xinyong.catalog.service import Catalog, get_catalog, normalise_enum
from xinyong.demo.generator import RecordSpec, SubjectSpec, iter_records, iter_subjects
from xinyong.evaluation import engine
from xinyong.evaluation import features as F
from xinyong.subjects.service import EvaluationSubject

_FACTS = (
    "rating_scheme",
    "rating",
    "fulfilment_status",
    "honour_level",
    "declaration_type",
    "verification_status",
)


class _Mapper:
    def __init__(self, catalog: Catalog, as_of: date) -> None:
        self.catalog = catalog
        self.as_of = as_of
        self._headers: dict[tuple[str, tuple[str, ...]], list[str | None]] = {}

    def data(self, rec: RecordSpec) -> dict[str, Any]:
        key = (rec.item, tuple(rec.values))
        cols = self._headers.get(key)
        if cols is None:
            cols = self.catalog.map_headers(rec.item, list(rec.values)).columns
            self._headers[key] = cols
        item = self.catalog.item(rec.item)
        out: dict[str, Any] = {}
        for code, value in zip(cols, rec.values.values(), strict=True):
            if code is None or value in ("", None):
                continue
            spec = item.field(code)
            if spec.type in ("enum", "enum_multi"):
                value = normalise_enum(spec, value) or value
            out[code] = value
        return out

    def record(self, rec: RecordSpec, record_id: int, subject_id: int) -> engine.Any | None:
        item = self.catalog.item(rec.item)
        data = self.data(rec)
        sev = self.catalog.derive_severity(item, data).severity
        window = self.catalog.publicity_window(item, sev, rec.decision_date, rec.received_on, data=data)
        end = window.end if window else None
        if window is None or (end is not None and end < self.as_of) or not window.published:
            return None
        return (
            record_id,
            subject_id,
            item.code,
            item.category,
            sev,
            rec.decision_date,
            end,
            {f: (str(data[f]) if f in data else None) for f in _FACTS},
        )


def build(seed: int, n: int, as_of: date | None = None) -> tuple[engine.Inputs, int]:
    """The inputs of an ``n``-subject province and how many records were generated."""
    catalog = get_catalog()
    subjects: list[SubjectSpec] = []

    def keep(it: Iterator[SubjectSpec]) -> Iterator[SubjectSpec]:
        for s in it:
            subjects.append(s)
            yield s

    from xinyong.demo.generator import load_city

    as_of = as_of or load_city().as_of
    mapper = _Mapper(catalog, as_of)
    live: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    ids: dict[tuple[str, str, str], int] = {}
    generated = 0
    for rec in iter_records(seed, n, subjects=keep(iter_subjects(seed, n))):
        generated += 1
        if rec.subject_key is None:
            continue
        key = (rec.provider, rec.item, rec.document_number)
        rid = ids.setdefault(key, len(ids) + 1)
        if rec.operation == "withdraw":
            live.pop(key, None)
            continue
        row = mapper.record(rec, rid, rec.subject_key + 1)
        if row is None:
            live.pop(key, None)
        else:
            live[key] = row
    rows = sorted(live.values())
    records = pa.table(
        {
            "record_id": pa.array([r[0] for r in rows], pa.int64()),
            "subject_id": pa.array([r[1] for r in rows], pa.int64()),
            "item_code": pa.array([r[2] for r in rows], pa.string()),
            "category": pa.array([r[3] for r in rows], pa.string()),
            "severity": pa.array([r[4] for r in rows], pa.string()),
            "decision_date": pa.array([r[5] for r in rows], pa.date32()),
            "decision_ymd": pa.array([F.ymd(r[5]) for r in rows], pa.int32()),
            "publicity_end": pa.array([r[6] for r in rows], pa.date32()),
            **{
                f"fact__{f}": pa.array(
                    [engine.normalise_rating(r[7][f]) if f == "rating" else r[7][f] for r in rows],
                    pa.string(),
                )
                for f in sorted(_FACTS)
            },
        }
    )
    # The engine's own conversion, so the benchmark's subjects are the store's, column for column.
    subj = engine.subjects_table(
        [
            EvaluationSubject(s.key + 1, s.kind, s.status, s.registered_on, s.registered_capital)
            for s in subjects
        ],
        {},
    )
    return engine.Inputs(subj, records, as_of, None), generated
