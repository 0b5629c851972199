"""The demo city's business register: the generator's subjects are WRITTEN as the market
regulator's register files (``register_enterprise.csv``, ``register_relation.xlsx``) and loaded
through ingest like any city's register, so the subjects, their founding dates, capital,
relations and former names arrive by the submissions path.

Natural persons are not in the business register (their identity comes from the population
register, which is not a catalog item): they are registered through the subjects service first,
and the relation rows then find them by ID number. The few subjects without a unified social
credit code cannot be identified by the register either and take the same path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from xinyong.demo.generator import SubjectSpec, iter_subjects, load_city
from xinyong.ingest import service as ingest_service
from xinyong.subjects import service as subjects_service
from xinyong.subjects.kinds import CATEGORY_OF_KIND

REGISTER_PROVIDER = "TZ-SCJG"  # the city's market regulator keeps the register
ENTERPRISE_FILE = "register_enterprise.csv"
RELATION_FILE = "register_relation.xlsx"
_ROLE_ZH = {
    "legal_representative": "法定代表人",
    "shareholder": "股东",
    "controller": "实际控制人",
    "branch": "分支机构",
    "key_personnel": "主要人员",
}
ENTERPRISE_HEADERS = [
    "企业名称",
    "主体类别",
    "统一社会信用代码",
    "法定代表人",
    "注册资本（万元）",
    "成立日期",
    "住所",
    "国民经济行业代码",
    "登记状态",
    "所属区县",
    "登记信息编号",
    "核准日期",
    "登记机关",
]
RELATION_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "关系类别",
    "关联方名称",
    "关联方类别",
    "关联方统一社会信用代码",
    "关联方证件类型",
    "关联方证件号码",
    "持股比例（%）",
    "起始日期",
    "终止日期",
    "关系记录编号",
    "核准日期",
]


def _in_register(spec: SubjectSpec) -> bool:
    return spec.kind != "natural_person" and bool(spec.uscc)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _enterprise_row(spec: SubjectSpec) -> list[str]:
    city = load_city()
    founded = spec.registered_on or city.as_of
    return [
        _text(v)
        for v in (
            spec.name,
            CATEGORY_OF_KIND[spec.kind],
            spec.uscc,
            spec.legal_representative,
            spec.registered_capital,
            founded,
            spec.address,
            spec.industry,
            spec.status,
            spec.division_code,
            spec.uscc,
            founded,
            f"{city.division(spec.division_code).name if spec.division_code != city.code else city.name}市场监督管理局",
        )
    ]


def _relation_rows(specs: dict[int, SubjectSpec]) -> Iterator[list[str]]:
    for spec in specs.values():
        if _in_register(spec):
            for seq, former in enumerate(spec.former_names, start=1):
                yield [
                    _text(v)
                    for v in (
                        spec.name,
                        spec.uscc,
                        "曾用名",
                        former,
                        "",
                        "",
                        "",
                        "",
                        None,
                        None,
                        None,
                        f"{spec.uscc}-former_name-{seq}",
                        spec.registered_on or load_city().as_of,
                    )
                ]
        for seq, rel in enumerate(spec.relations, start=1):
            owner, party = specs[rel.subject_key], specs[rel.related_key]
            if not _in_register(owner):
                continue
            person = party.kind == "natural_person"
            if (person and not party.id_number) or (not person and not party.uscc):
                continue
            yield [
                _text(v)
                for v in (
                    owner.name,
                    owner.uscc,
                    _ROLE_ZH[rel.role],
                    party.name,
                    CATEGORY_OF_KIND[party.kind],
                    None if person else party.uscc,
                    "身份证" if person else None,
                    party.id_number if person else None,
                    rel.share_ratio * 100 if rel.share_ratio is not None else None,
                    rel.since,
                    None,
                    f"{owner.uscc}-{rel.role}-{spec.key}-{seq}",
                    rel.since or owner.registered_on or load_city().as_of,
                )
            ]


def enterprise_csv(specs: list[SubjectSpec]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(ENTERPRISE_HEADERS)
    for spec in specs:
        if _in_register(spec):
            w.writerow(_enterprise_row(spec))
    return buf.getvalue().encode("utf-8")


def relation_xlsx(specs: list[SubjectSpec]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("登记关联关系")
    ws.append(RELATION_HEADERS)
    for row in _relation_rows({s.key: s for s in specs}):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_register_files(seed: int, n: int, out_dir: Path) -> tuple[Path, Path]:
    """Write the register files of the city (derived data: overwritten)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = list(iter_subjects(seed, n))
    enterprise = out_dir / ENTERPRISE_FILE
    enterprise.write_bytes(enterprise_csv(specs))
    relation = out_dir / RELATION_FILE
    relation.write_bytes(relation_xlsx(specs))
    return enterprise, relation


def register_outside(session: Session, seed: int, n: int) -> int:
    """The subjects the business register does not carry (natural persons, subjects without a
    code), registered through the subjects service; returns how many."""
    rows = [
        {
            "kind": s.kind,
            "name": s.name,
            "uscc": s.uscc,
            "id_number": s.id_number,
            "legal_representative": s.legal_representative,
            "address": s.address,
            "division_code": s.division_code,
            "industry": s.industry,
            "registered_on": s.registered_on,
            "registered_capital": s.registered_capital,
            "status": s.status,
            "former_names": list(s.former_names) or None,
        }
        for s in iter_subjects(seed, n)
        if not _in_register(s)
    ]
    subjects_service.create_subjects(session, rows)
    session.commit()
    return len(rows)


def ingest_register(
    session: Session, paths: tuple[Path, Path], received_at: Any
) -> list[ingest_service.SubmissionResult]:
    """Load the register files through ingest, as the market regulator would upload them."""
    results = []
    for path, item in zip(paths, ("register_enterprise", "register_relation"), strict=True):
        with open(path, "rb") as fh:
            results.append(
                ingest_service.submit_file(
                    session, REGISTER_PROVIDER, item, fh, path.name, received_at=received_at
                )
            )
    return results
