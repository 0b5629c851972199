"""Builders for the evaluation tests: real subjects, a provider of every catalog item, records
stored through ``records.service`` (as ingest would), and the evaluation date fixed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog.service import get_catalog
from xinyong.core.identifiers import make_uscc
from xinyong.ingest import service as ingest_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects

AS_OF = date(2026, 11, 20)
ITEMS = [
    "administrative_penalty",
    "administrative_licence",
    "dishonest_judgment_debtor",
    "honour",
    "sector_rating",
    "credit_commitment",
    "self_declaration",
]


def uscc(n: int) -> str:
    return make_uscc("9", "1", "331002", f"{n:08d}")


def enterprise(
    session: Session,
    n: int,
    *,
    registered_on: date = date(2018, 3, 1),
    capital: str = "200",
    kind: str = "enterprise",
) -> int:
    return subjects.create_subject(
        session,
        kind=kind,
        name=f"台州市评价测试{n}号有限公司",
        uscc=uscc(n),
        registered_on=registered_on,
        registered_capital=Decimal(capital) if kind == "enterprise" else None,
        status="存续",
    )


def provider(session: Session, code: str = "TZ-EVAL") -> int:
    info, _ = ingest_service.create_provider(session, code, "台州市信用办（测试）", items=ITEMS)
    return info.id


def _store(
    session: Session,
    item: str,
    subject_id: int,
    provider_id: int,
    data: dict[str, Any],
    *,
    withdraw: bool = False,
) -> int:
    out = records_store.store(
        session,
        item=get_catalog().item(item),
        subject_id=subject_id,
        provider_id=provider_id,
        document_number=data["document_number"],
        data=data,
        submission_id=None,
        received_on=data["decision_date"],
        withdraw=withdraw,
    )
    return out.record_id


def penalty(
    session: Session,
    sid: int,
    pid: int,
    doc: str,
    *,
    decided: date,
    types: list[str],
    fine: str | None = None,
) -> int:
    data: dict[str, Any] = {
        "subject_name": "测试企业",
        "subject_category": "法人及非法人组织",
        "document_number": doc,
        "violation_type": "无照经营",
        "violation_facts": "未取得营业执照从事经营活动",
        "legal_basis": "《无证无照经营查处办法》第十三条",
        "penalty_types": types,
        "penalty_content": "、".join(types),
        "decision_date": decided,
        "authority": "台州市市场监督管理局",
    }
    if fine is not None:
        data["fine_amount"] = fine
    return _store(session, "administrative_penalty", sid, pid, data)


def withdraw_penalty(session: Session, sid: int, pid: int, doc: str, decided: date) -> None:
    data = {"subject_name": "测试企业", "document_number": doc, "decision_date": decided}
    _store(session, "administrative_penalty", sid, pid, data, withdraw=True)


def debtor(session: Session, sid: int, pid: int, doc: str, *, decided: date) -> int:
    data = {
        "subject_name": "测试企业",
        "subject_category": "法人及非法人组织",
        "document_number": doc,
        "court": "台州市椒江区人民法院",
        "obligation": "支付货款10万元",
        "performance": "全部未履行",
        "decision_date": decided,
    }
    return _store(session, "dishonest_judgment_debtor", sid, pid, data)


def rating(session: Session, sid: int, pid: int, level: str, *, year: int) -> int:
    data = {
        "subject_name": "测试企业",
        "document_number": f"NSXY-{year}-{sid}",
        "rating_scheme": "tax_credit",
        "rating": level,
        "rating_year": year,
        "decision_date": date(year + 1, 4, 20),
        "rating_unit": "国家税务总局台州市椒江区税务局",
    }
    return _store(session, "sector_rating", sid, pid, data)


def honour(session: Session, sid: int, pid: int, doc: str, *, decided: date) -> int:
    data = {
        "subject_name": "测试企业",
        "document_number": doc,
        "honour_name": "浙江省守合同重信用企业",
        "honour_level": "provincial",
        "decision_date": decided,
        "awarding_unit": "浙江省市场监督管理局",
    }
    return _store(session, "honour", sid, pid, data)


def licence(
    session: Session, sid: int, pid: int, doc: str, *, decided: date, status: str | None = None
) -> int:
    data: dict[str, Any] = {
        "subject_name": "测试企业",
        "subject_category": "法人及非法人组织",
        "document_number": doc,
        "licence_document_name": "食品经营许可决定书",
        "licence_category": "01",
        "licence_content": "预包装食品销售",
        "decision_date": decided,
        "valid_from": decided,
        "authority": "台州市市场监督管理局",
    }
    if status is not None:
        data["status"] = status  # XK_ZT as ingest stores it: "1" 有效, "2" 无效
    return _store(session, "administrative_licence", sid, pid, data)


def commitment(session: Session, sid: int, pid: int, doc: str, *, decided: date, status: str) -> int:
    data = {
        "subject_name": "测试企业",
        "document_number": doc,
        "commitment_type": "accept_with_gaps",
        "commitment_matter": "食品经营许可证核发（容缺补齐健康证明）",
        "decision_date": decided,
        "accepting_unit": "台州市椒江区市场监督管理局",
        "fulfilment_status": status,
    }
    return _store(session, "credit_commitment", sid, pid, data)


def models_dir() -> Path:
    from xinyong.core.settings import get_settings

    return Path(get_settings().ruleset_dir) / "models"
