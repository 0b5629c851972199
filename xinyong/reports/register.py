"""The report register (信用报告登记簿): listing issued reports and handing a report's file to
those who may have it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from xinyong.accounts.principal import Principal
from xinyong.core.errors import Forbidden
from xinyong.core.paging import check_page, paged
from xinyong.reports.issue import WINDOW_ROLES, get_report_row
from xinyong.reports.models import CreditReport
from xinyong.reports.rules import KIND_NAMES_ZH

CHANNEL_ZH = {
    "self": "本人自助下载",
    "window": "窗口出具",
    "authorised": "第三方（经授权）",
    "public": "公开信息报告",
}
SCOPE_ZH = {"full": "完整（含依申请公开信息）", "public": "仅公开信息"}


@dataclass(frozen=True)
class RegisterRow:
    number: str
    kind: str
    kind_zh: str
    field: str | None
    scope_zh: str
    subject_id: int
    subject_name: str
    subject_code: str
    issued_at: datetime
    valid_until: date
    channel: str
    channel_zh: str
    issued_by: str
    organisation: str
    sha256: str
    size: int
    counts: dict[str, int]
    found: int


@dataclass(frozen=True)
class RegisterPage:
    total: int
    page: int
    per_page: int
    items: list[RegisterRow]


def _row(r: CreditReport) -> RegisterRow:
    name = KIND_NAMES_ZH.get(r.kind, r.kind)
    return RegisterRow(
        number=r.number,
        kind=r.kind,
        kind_zh=f"{name}（{r.field}）" if r.field else name,
        field=r.field,
        scope_zh=SCOPE_ZH.get(r.scope, r.scope),
        subject_id=r.subject_id,
        subject_name=r.subject_name,
        subject_code=r.subject_code,
        issued_at=r.issued_at,
        valid_until=r.valid_until,
        channel=r.channel,
        channel_zh=CHANNEL_ZH.get(r.channel, r.channel),
        issued_by=r.issued_by,
        organisation=r.organisation,
        sha256=r.sha256 or "",
        size=r.size,
        counts=dict(r.counts or {}),
        found=r.found,
    )


def list_reports(
    session: Session,
    *,
    subject_id: int | None = None,
    organisation: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RegisterPage:
    """Issued reports, newest first; ``organisation``: only those that organisation obtained."""
    check_page(page, per_page, limit=200, code="reports.bad_page")
    conditions: list[Any] = [CreditReport.sha256.is_not(None)]
    if subject_id is not None:
        conditions.append(CreditReport.subject_id == subject_id)
    if organisation is not None:
        conditions.append(CreditReport.organisation == organisation)
    total, rows = paged(session, CreditReport, conditions, (CreditReport.id.desc(),), page, per_page)
    return RegisterPage(total, page, per_page, [_row(r) for r in rows])


def get_report(session: Session, number: str) -> RegisterRow:
    return _row(get_report_row(session, number))


def may_download(principal: Principal, row: CreditReport) -> bool:
    """The subject itself, window staff, and whoever it was issued to may fetch it again."""
    if principal.role == "subject" and principal.subject_id == row.subject_id:
        return True
    if principal.role in (*WINDOW_ROLES, "admin"):
        return True
    issued_to = principal.label if principal.kind != "cli" else f"cli:{principal.username or ''}"
    return principal.authenticated and issued_to == row.issued_by


def report_pdf(session: Session, principal: Principal, number: str) -> tuple[str, bytes]:
    """(file name, signed PDF) of an issued report, for those who may have it."""
    row = get_report_row(session, number)
    if not may_download(principal, row):
        raise Forbidden(
            "Only the subject, window staff or the party the report was issued to may download it",
            "只有信用主体本人、信用窗口或报告的申请方可以下载该报告",
            code="reports.download_forbidden",
            field="number",
            value=number,
        )
    loaded = session.scalar(
        select(CreditReport).options(undefer(CreditReport.pdf)).where(CreditReport.id == row.id)
    )
    assert loaded is not None and loaded.pdf is not None
    return f"{row.number}.pdf", loaded.pdf
