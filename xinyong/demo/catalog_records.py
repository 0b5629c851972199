"""Records of the catalog items the generator's story does not cover yet (the eight further 双公示
kinds, 经营异常名录, 纳税信用等级, arrears, contract breaches, court judgments, market credit
information): a few per item for registered enterprises of the city, built from each item's
field schema (its example values) and sent through ingest by the department that holds the item,
so the demo has records of every kind."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog.service import CatalogItem, FieldSpec, get_catalog
from xinyong.demo.generator import SubjectSpec, iter_subjects, load_city
from xinyong.ingest import service as ingest_service

# item → the demo department that reports it (demo/data/taizhou.yaml lists the items).
PROVIDERS: dict[str, str] = {
    "administrative_enforcement": "TZ-SCJG",
    "administrative_inspection": "TZ-SCJG",
    "administrative_confirmation": "TZ-SCJG",
    "business_anomaly": "TZ-SCJG",
    "administrative_levy": "TZ-ZRZY",
    "administrative_compensation": "TZ-ZRZY",
    "administrative_adjudication": "TZ-ZRZY",
    "administrative_payment": "TZ-RS",
    "social_insurance_arrears": "TZ-RS",
    "administrative_reward": "TZ-JX",
    "tax_credit_grade": "TZ-SW",
    "housing_fund_arrears": "TZ-ZJ",
    "contract_breach": "TZ-FG",
    "utility_arrears": "TZ-FG",
    "market_credit_information": "TZ-FG",
    "self_declaration": "TZ-FG",  # 自愿注册: registered with the credit office
    "court_judgment": "JJ-FY",
}
PER_ITEM = 6
# Dates relative to the decision: the written notice and the deadline to perform come before it.
_BEFORE = {"notice_date": 40, "performance_deadline": 10, "period_from": 200, "period_to": 60}
_IDENTITY = {
    "subject_name",
    "subject_category",
    "uscc",
    "legal_representative",
    "document_number",
    "decision_date",
}


def _value(spec: FieldSpec, decided: date, rng: random.Random) -> Any:
    if spec.code in _BEFORE:
        return (decided - timedelta(days=_BEFORE[spec.code])).isoformat()
    if spec.type in ("enum", "enum_multi"):
        options = spec.enum or []
        return rng.choice(options).label if options else None
    if spec.example is not None:
        return spec.example
    if spec.type == "date":
        return None  # optional dates (valid until, lifted on...) are left open
    if spec.type == "decimal":
        return str(rng.randint(1, 50) * 1000)
    if spec.type == "integer":
        return str(decided.year - 1)
    return f"{spec.name_zh}（演示）" if spec.required else None


def _row(item: CatalogItem, s: SubjectSpec, n: int, decided: date, rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {
        "subject_name": s.name,
        "subject_category": "个体工商户" if s.kind == "individual_business" else "法人及非法人组织",
        "uscc": s.uscc,
        "document_number": f"{item.code.upper()[:6]}-{decided.year}-{n:04d}",
        "decision_date": decided.isoformat(),
    }
    if item.has_field("legal_representative"):
        row["legal_representative"] = s.legal_representative
    for spec in item.fields:
        if spec.code in _IDENTITY or spec.code in row or spec.disclosure == "confidential":
            continue
        if spec.type in ("uscc", "id_number") or spec.code in ("operation", "severity", "division_code"):
            continue
        value = _value(spec, decided, rng)
        if value is not None:
            row[spec.code] = value
    return row


def _subjects(specs: list[SubjectSpec], item: CatalogItem) -> Iterator[SubjectSpec]:
    for s in specs:
        if s.uscc and s.kind in item.subject_kinds and s.kind != "natural_person" and s.status == "存续":
            yield s


def seed_catalog_records(session: Session, seed: int, n: int) -> list[ingest_service.SubmissionResult]:
    """A few records of every item in ``PROVIDERS``, one submission per item."""
    catalog = get_catalog()
    as_of = load_city().as_of
    results = []
    specs = list(iter_subjects(seed, min(n, 600)))  # the generator is not cheap: once
    for code, provider in PROVIDERS.items():
        item = catalog.item(code)
        rng = random.Random(f"{seed}/catalog/{code}")
        pool = list(_subjects(specs, item))
        chosen = rng.sample(pool, min(PER_ITEM, len(pool)))
        rows = []
        for i, s in enumerate(chosen, start=1):
            decided = as_of - timedelta(days=rng.randint(20, 400))
            rows.append(_row(item, s, i, decided, rng))
        if rows:
            received = as_of - timedelta(days=3)
            results.append(ingest_service.submit(session, provider, code, rows, received_at=_noon(received)))
    return results


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=ingest_service.CHINA_TZ)
