"""Whether a credit repair may be applied for, computed from the record (or the listing) and the
rules, and shown before applying: the minimum publicity period, the penalty types never ended
early, the lists that must be left first, an application already in progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import add_months
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.ingest import service as ingest_service
from xinyong.lists import service as lists_service
from xinyong.records import service as records_service
from xinyong.repairs.models import OPEN_STATUSES, Repair
from xinyong.repairs.rules import RepairRules
from xinyong.repairs.schemas import Eligibility, MaterialView

CREDIT_OFFICE_ZH = "市公共信用工作机构"
PENALTY_ITEM = "administrative_penalty"
_LIST_ACTIVE = ("listed", "published")


@dataclass
class Target:
    """What a repair is about: a record or a listing, its subject and deciding department."""

    kind: str | None
    subject_id: int
    record_id: int | None
    list_procedure_id: int | None
    title_zh: str
    department_code: str | None
    department_name: str
    reasons: list[str]
    earliest: date | None
    basis: str


def _zh_date(d: date) -> str:
    return f"{d.year}-{d.month:02d}-{d.day:02d}"


def _penalty_types(data: dict[str, Any]) -> list[str]:
    raw = data.get("penalty_types")
    if isinstance(raw, list):
        return [str(x) for x in raw]
    if isinstance(raw, str):
        return [x.strip() for x in raw.replace("；", ";").split(";") if x.strip()]
    return []


def _providers(session: Session) -> dict[int, tuple[str, str]]:
    return {p.id: (p.code, p.name) for p in ingest_service.list_providers(session)}


def _open_repair(session: Session, *, record_id: int | None, list_procedure_id: int | None) -> int | None:
    q = select(Repair.id).where(Repair.status.in_((*OPEN_STATUSES, "granted")))
    q = (
        q.where(Repair.record_id == record_id)
        if record_id
        else q.where(Repair.list_procedure_id == list_procedure_id)
    )
    return session.scalar(q.limit(1))


def record_target(session: Session, record_id: int, rules: RepairRules, today: date) -> Target:
    record = records_service.get_record(session, record_id)
    catalog = catalog_service.get_catalog()
    try:
        item = catalog.item(record.item_code)
        item_name, polarity = item.name_zh, item.polarity
    except NotFound:
        item_name, polarity = record.item_code, "negative" if record.severity else "neutral"
    code, name = _providers(session).get(record.provider_id, (None, CREDIT_OFFICE_ZH))
    title = f"{item_name}（{record.document_number}）"
    reasons: list[str] = []
    earliest: date | None = None
    # 行政处罚 (the 双公示 penalty item): its publicity may end early; anything else negative is "other".
    kind = "penalty_publicity" if record.item_code == PENALTY_ITEM else "other_negative"
    basis = rules.kind(kind).source
    if polarity != "negative":
        return Target(
            None,
            record.subject_id,
            record_id,
            None,
            title,
            code,
            name,
            ["该信息不是失信信息，无需修复"],
            None,
            basis,
        )
    if record.status != "in_force":
        reasons.append("该信息已不再公示，无需修复")
    if kind == "penalty_publicity":
        never = sorted(set(_penalty_types(record.data)) & set(rules.never_early.types))
        if never:
            reasons.append(f"受到“{'、'.join(never)}”处罚的，不得提前停止公示（{rules.never_early.source}）")
        blocking = [
            m.get("name_zh", m.get("list_type", ""))
            for m in lists_service.memberships(session, [record.subject_id]).get(record.subject_id, [])
            if m.get("list_type") in rules.blocking_lists.types
        ]
        if blocking:
            reasons.append(f"主体仍在{'、'.join(blocking)}中，须先移出（{rules.blocking_lists.source}）")
    if record.publicity_min_end is not None and record.publicity_min_end >= today:
        earliest = record.publicity_min_end + timedelta(days=1)
        reasons.append(f"最短公示期尚未届满（至{_zh_date(record.publicity_min_end)}）")
    if _open_repair(session, record_id=record_id, list_procedure_id=None):
        reasons.append("该信息已有正在办理的信用修复申请")
    return Target(kind, record.subject_id, record_id, None, title, code, name, reasons, earliest, basis)


def list_target(session: Session, procedure_id: int, rules: RepairRules, today: date) -> Target:
    proc = lists_service.get_procedure(session, procedure_id, actor=lists_service.SYSTEM, today=today)
    lt = lists_service.get_list_type(proc.list_type)
    title = f"{proc.list_name_zh}（{proc.decision_document or '认定程序#' + str(proc.id)}）"
    reasons: list[str] = []
    earliest: date | None = None
    if proc.status not in _LIST_ACTIVE:
        reasons.append(f"该名单认定程序当前为“{proc.status_zh}”，不在名单中")
    cond = lt.exit_condition("repaired")
    if cond is None:
        reasons.append(f"{proc.list_name_zh}不能通过信用修复移出")
    else:
        months = cond.min_months
        first = add_months(proc.starts_on, months) if months is not None and proc.starts_on else proc.min_end
        if first is not None and first > today:
            earliest = first
            reasons.append(f"最短列入期限尚未届满（{_zh_date(first)}起方可申请）")
    if _open_repair(session, record_id=None, list_procedure_id=procedure_id):
        reasons.append("该名单已有正在办理的信用修复申请")
    code = proc.department_code
    return Target(
        "list_exit",
        proc.subject.id,
        None,
        procedure_id,
        title,
        code,
        proc.department_name or CREDIT_OFFICE_ZH,
        reasons,
        earliest,
        rules.kind("list_exit").source,
    )


def target_of(
    session: Session, rules: RepairRules, today: date, *, record_id: int | None, list_procedure_id: int | None
) -> Target:
    if (record_id is None) == (list_procedure_id is None):
        raise InvalidInput(
            "Name either a record or a list procedure",
            "请指定要修复的一条信用记录，或一项名单（二者选一）",
            code="repairs.target",
            field="record_id",
        )
    if record_id is not None:
        return record_target(session, record_id, rules, today)
    assert list_procedure_id is not None
    return list_target(session, list_procedure_id, rules, today)


def eligibility_of(target: Target, rules: RepairRules) -> Eligibility:
    if target.reasons:
        message = f"尚不可申请，因为{'；'.join(target.reasons)}"
        if target.earliest is not None and len(target.reasons) == 1:
            message += f"，最早可于 {_zh_date(target.earliest)} 申请"
    else:
        message = "可申请"
    kind = target.kind
    return Eligibility(
        eligible=not target.reasons,
        kind=kind,
        kind_zh=rules.kind(kind).name_zh if kind else None,
        record_id=target.record_id,
        list_procedure_id=target.list_procedure_id,
        target_zh=target.title_zh,
        reasons_zh=target.reasons,
        earliest_on=target.earliest,
        message_zh=message,
        department_code=target.department_code,
        department_name=target.department_name,
        materials=[
            MaterialView(code=m.code, name_zh=m.name_zh, required=m.required, source=m.source)
            for m in (rules.materials_for(kind) if kind else [])
        ],
        commitment_text_zh=rules.commitment_text_zh,
        basis=target.basis,
    )
