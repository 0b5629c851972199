"""Builders for the lists tests: a small real city (subjects, relations, departments, records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.records import helpers as rh
from xinyong.core import events
from xinyong.core.events import Event
from xinyong.ingest import service as ingest_service
from xinyong.ledger.models import LedgerEntry
from xinyong.lists import service
from xinyong.lists.schemas import ProcedureView
from xinyong.lists.service import Actor
from xinyong.records import service as records
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects

SCJG = "TZSCJ"  # 市场监督管理局
STHJ = "TZSTHJ"  # 生态环境局 (another department)
COURT = "TZZY"  # 中级人民法院
COURT_ITEM = "dishonest_judgment_debtor"
OFFICE = Actor("user:xyb", "credit_office")
SCJG_OFFICER = Actor("user:scjg", "provider", provider_code=SCJG)
STHJ_OFFICER = Actor("user:sthj", "provider", provider_code=STHJ)


@dataclass
class City:
    company: int  # an enterprise with a registered legal representative (a natural person)
    rep: int  # that natural person
    other: int  # a second enterprise
    person: int  # a natural person without any relation
    providers: dict[str, int]


def build_city(session: Session) -> City:
    company = rh.enterprise(session, 1, "台州市椒江区安信机械有限公司")
    rep = rh.person(session, 1, "王建国")
    subjects.add_relation(session, company, rep, "legal_representative", source="市场主体登记")
    other = rh.enterprise(session, 2, "台州市黄岩区鑫达塑料制品有限公司")
    person = rh.person(session, 2, "李小明")
    providers = {
        SCJG: ingest_service.create_provider(
            session, SCJG, "台州市市场监督管理局", None, [rh.PENALTY, rh.LICENCE]
        )[0].id,
        STHJ: ingest_service.create_provider(session, STHJ, "台州市生态环境局", None, [rh.PENALTY])[0].id,
        COURT: ingest_service.create_provider(session, COURT, "台州市中级人民法院", None, [COURT_ITEM])[0].id,
    }
    session.commit()
    return City(company=company, rep=rep, other=other, person=person, providers=providers)


def recent(days: int = 20) -> date:
    """A day shortly before today (automatic proposals look at records of the last months)."""
    return records.today_china() - timedelta(days=days)


def _penalty(
    session: Session,
    city: City,
    doc: str,
    types: list[str],
    *,
    subject: int | None,
    decision: date | None,
    provider: str,
) -> int:
    """A penalty of the given classes for ``subject`` (the company by default); returns the record id."""
    sid = subject or city.company
    row = rh.penalty_row(
        doc,
        decision=decision or recent(),
        types=types,
        name=subjects.get_subject(session, sid).name,
        code=subjects.get_subject(session, sid).uscc,
    )
    out = rh.store(session, sid, city.providers[provider], row)
    session.commit()
    return out.record_id


def serious_penalty(
    session: Session,
    city: City,
    doc: str,
    *,
    subject: int | None = None,
    decision: date | None = None,
    provider: str = SCJG,
) -> int:
    """A penalty whose class is serious (吊销许可证件) for the company; returns the record id."""
    return _penalty(
        session, city, doc, ["吊销许可证件"], subject=subject, decision=decision, provider=provider
    )


def general_penalty(
    session: Session, city: City, doc: str, *, subject: int | None = None, decision: date | None = None
) -> int:
    """A general (not serious) penalty, 暂扣许可证件, by the market regulator; returns the record id."""
    return _penalty(session, city, doc, ["暂扣许可证件"], subject=subject, decision=decision, provider=SCJG)


def court_record(
    session: Session, city: City, doc: str, *, subject: int | None = None, decision: date | None = None
) -> int:
    sid = subject or city.company
    s = subjects.get_subject(session, sid)
    data: dict[str, Any] = {
        "subject_name": s.name,
        "court": "台州市中级人民法院",
        "document_number": doc,
        "obligation": "支付货款 50 万元及利息",
        "dishonest_conduct": "有履行能力而拒不履行生效法律文书确定义务",
        "decision_date": decision or recent(),
    }
    if s.uscc:
        data["uscc"] = s.uscc
    out = records_store.store(
        session,
        item=rh.item(COURT_ITEM),
        subject_id=sid,
        provider_id=city.providers[COURT],
        document_number=doc,
        data=data,
        submission_id=None,
        received_on=data["decision_date"],
    )
    session.commit()
    return out.record_id


def propose(
    session: Session,
    subject_id: int,
    on: date,
    *,
    list_type: str = "blacklist",
    actor: Actor = SCJG_OFFICER,
    reasons: str = "r",
    today: date | None = None,
    basis_record_id: int | None = None,
) -> ProcedureView:
    """A manual proposal by the market regulator's officer unless told otherwise (the tests'
    usual first step); not committed. A list that needs a basis record gets a serious penalty of
    the subject's (stored here) unless ``basis_record_id`` names one."""
    if basis_record_id is None and service.get_list_type(list_type).procedure.basis_record:
        basis_record_id = basis_penalty(session, subject_id, on)
    return service.propose(
        session,
        list_type=list_type,
        subject_id=subject_id,
        actor=actor,
        reasons=reasons,
        on=on,
        today=today,
        basis_record_id=basis_record_id,
    )


def decide(
    session: Session,
    procedure_id: int,
    on: date,
    *,
    outcome: str = "list",
    actor: Actor = SCJG_OFFICER,
    **fields: Any,
) -> ProcedureView:
    """认定决定 by the market regulator's officer unless told otherwise (the decision document,
    reasons and signature as ``fields``); not committed."""
    return service.decide(session, procedure_id, actor=actor, outcome=outcome, on=on, **fields)


def basis_penalty(session: Session, subject_id: int, on: date) -> int:
    """A serious penalty (吊销许可证件) of the market regulator's about ``subject_id``, decided on
    ``on``; returns its record id (not committed)."""
    s = subjects.get_subject(session, subject_id)
    row = rh.penalty_row(
        f"台市监罚〔{on.year}〕{subject_id}{on.strftime('%m%d')}号",
        decision=on,
        types=["吊销许可证件"],
        name=s.name,
        code=s.uscc,
    )
    return rh.store(session, subject_id, ingest_service.get_provider(session, SCJG).id, row).record_id


def consume(session: Session) -> int:
    """Run the lists consumer until it has nothing left, one batch per transaction (as its worker
    does; the events it writes itself are consumed in the next batch)."""
    return events.drain(session, service.process_events)


def list_events(session: Session, procedure_id: int) -> list[str]:
    rows = session.scalars(select(Event).where(Event.type.like("list.%")).order_by(Event.id))
    return [e.type for e in rows if (e.payload or {}).get("procedure_id") == procedure_id]


def ledger_kinds(session: Session, procedure_id: int) -> list[str]:
    rows = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.ref.like(f"list_procedure:{procedure_id}/%"))
        .order_by(LedgerEntry.seq)
    )
    return [r.kind for r in rows]


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0
