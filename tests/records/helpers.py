"""Builders for the records tests: real subjects, a real provider, rows in the catalog's fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.catalog.service import CatalogItem, get_catalog
from xinyong.core.db import Database
from xinyong.core.events import Event
from xinyong.core.identifiers import make_ric, make_uscc
from xinyong.ingest import service as ingest_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects

PENALTY = "administrative_penalty"
LICENCE = "administrative_licence"


def uscc(n: int) -> str:
    return make_uscc("9", "1", "331002", f"{n:08d}")


def ric(n: int) -> str:
    return make_ric("331002", date(1980, 5, 17), n)


def enterprise(session: Session, n: int, name: str | None = None) -> int:
    return subjects.create_subject(
        session, kind="enterprise", name=name or f"台州市测试{n}号有限公司", uscc=uscc(n)
    )


def person(session: Session, n: int, name: str = "张三丰") -> int:
    return subjects.create_subject(session, kind="natural_person", name=name, id_number=ric(n))


def provider(session: Session, code: str = "TZSCJ") -> int:
    info, _key = ingest_service.create_provider(
        session, code, "台州市市场监督管理局", items=[PENALTY, LICENCE]
    )
    return info.id


def item(code: str = PENALTY) -> CatalogItem:
    return get_catalog().item(code)


def penalty_row(
    doc: str,
    *,
    decision: date = date(2026, 5, 6),
    types: list[str] | None = None,
    fine: str | None = None,
    name: str = "台州市测试1号有限公司",
    code: str | None = None,
    id_number: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "subject_name": name,
        "subject_category": "自然人" if id_number else "法人及非法人组织",
        "document_number": doc,
        "violation_type": "无照经营",
        "violation_facts": "未取得营业执照从事经营活动",
        "legal_basis": "《无证无照经营查处办法》第十三条",
        "penalty_types": types or ["警告"],
        "penalty_content": "警告",
        "decision_date": decision,
        "authority": "台州市市场监督管理局",
    }
    if code:
        row["uscc"] = code
        row["legal_representative"] = "李四"
        row["legal_representative_id_number"] = ric(99)
    if id_number:
        row["id_number"] = id_number
    if fine is not None:
        row["fine_amount"] = fine
    row.update(extra)
    return row


def licence_row(
    doc: str, *, decision: date = date(2026, 5, 6), name: str = "张三丰", **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "subject_name": name,
        "subject_category": "自然人",
        "document_number": doc,
        "licence_document_name": "食品经营许可决定书",
        "licence_category": "01",
        "licence_content": "预包装食品销售",
        "decision_date": decision,
        "valid_from": decision,
        "authority": "台州市市场监督管理局",
    }
    row.update(extra)
    return row


def store(
    session: Session,
    subject_id: int,
    provider_id: int,
    data: dict[str, Any],
    *,
    item_code: str = PENALTY,
    received_on: date | None = None,
    withdraw: bool = False,
) -> records_store.RecordOutcome:
    return records_store.store(
        session,
        item=item(item_code),
        subject_id=subject_id,
        provider_id=provider_id,
        document_number=data["document_number"],
        data=data,
        submission_id=None,
        received_on=received_on or data["decision_date"],
        withdraw=withdraw,
    )


def withdraw(
    session: Session, subject_id: int, provider_id: int, document_number: str, *, received_on: date
) -> records_store.RecordOutcome:
    """Withdraw (撤销) a stored penalty by its document number."""
    return store(
        session,
        subject_id,
        provider_id,
        {"document_number": document_number},
        withdraw=True,
        received_on=received_on,
    )


def old_penalty(db: Database) -> tuple[int, int]:
    """A company's penalty of 2022 (a suspension: its publicity is over by now), committed; (subject
    id, record id)."""
    with db.session() as s:
        pid = provider(s)
        sid = enterprise(s, 1)
        out = store(
            s, sid, pid, penalty_row("罚〔2022〕1号", types=["暂扣许可证件"], decision=date(2022, 3, 1))
        )
    return sid, out.record_id


def events(session: Session, type_: str | None = None) -> list[Event]:
    stmt = select(Event).order_by(Event.id)
    if type_:
        stmt = stmt.where(Event.type == type_)
    return list(session.scalars(stmt))


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Event)) or 0
