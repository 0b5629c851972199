"""Report uses (信用报告应用反馈): an agency records that it relied on report N in a matter of the
信用报告应用事项清单 (ruleset ``matters``), and the register shows how reports are used."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.core.clock import today_china
from xinyong.core.errors import InvalidInput
from xinyong.ledger import service as ledger
from xinyong.reports.issue import get_report_row
from xinyong.reports.models import ReportUse
from xinyong.reports.rules import Rules


@dataclass(frozen=True)
class UseView:
    id: int
    number: str
    matter: str
    matter_zh: str
    agency: str
    used_on: date
    note: str
    recorded_by: str
    recorded_at: datetime


def record_use(
    session: Session,
    principal: Principal,
    number: str,
    *,
    matter: str,
    used_on: date | None = None,
    note: str = "",
    agency: str | None = None,
) -> UseView:
    today = today_china()
    used_on = used_on or today
    rules = Rules(today)
    spec = rules.matter(matter)
    row = get_report_row(session, number)
    if row.kind not in spec.kinds:
        raise InvalidInput(
            f"Matter {spec.code} does not use this kind of report",
            f"应用事项“{spec.name_zh}”不使用该类信用报告",
            code="reports.matter_kind",
            field="matter",
            value=spec.code,
        )
    if used_on > today or used_on < row.issued_at.date():
        raise InvalidInput(
            "The use date must lie between the issue date and today",
            "使用日期须在报告出具日期和今天之间",
            code="reports.bad_use_date",
            field="used_on",
            value=used_on.isoformat(),
        )
    who = (agency or principal.organisation or principal.label).strip()[:200]
    use = ReportUse(
        report_id=row.id,
        matter=spec.code,
        agency=who,
        used_on=used_on,
        note=note.strip()[:500],
        recorded_by=principal.label[:120],
    )
    session.add(use)
    session.flush()
    ledger.append(
        session,
        "report.used",
        f"report:{row.number}",
        {"use_id": use.id, "matter": spec.code, "agency": who, "used_on": used_on.isoformat()},
    )
    return UseView(
        use.id, row.number, spec.code, spec.name_zh, who, used_on, use.note, use.recorded_by, use.recorded_at
    )


def uses_of(session: Session, number: str) -> list[UseView]:
    row = get_report_row(session, number)
    names = {m.code: m.name_zh for m in Rules().matters.items}
    rows = session.scalars(select(ReportUse).where(ReportUse.report_id == row.id).order_by(ReportUse.id))
    return [
        UseView(
            u.id,
            row.number,
            u.matter,
            names.get(u.matter, u.matter),
            u.agency,
            u.used_on,
            u.note,
            u.recorded_by,
            u.recorded_at,
        )
        for u in rows
    ]


def use_counts(session: Session) -> dict[str, int]:
    """Uses per matter code (the console's view of how reports are used)."""
    return dict(Counter(session.scalars(select(ReportUse.matter))))


def matters() -> list[tuple[str, str, list[str]]]:
    return [(m.code, m.name_zh, list(m.kinds)) for m in Rules().matters.items]
