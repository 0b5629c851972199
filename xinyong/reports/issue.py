"""Issuing a report: who may get which, the register row, the signed PDF, the query log and the
ledger, all in the caller's transaction.

* A subject account gets its own full report (``self``): ``free_per_year`` a calendar year
  (ruleset); past that the report is issued at a window. Nothing is ever charged.
* Staff at a window (credit office, CLI) issue a subject's full report (``window``).
* Anyone else gets the full report only with the subject's authorisation (a record with scope
  and expiry, ``authorisations.py``; ``authorised``); without one, the report of the public
  information only (``public``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import utcnow
from xinyong.core.errors import Forbidden, InvalidInput, NotFound
from xinyong.core.pdf import render_pdf
from xinyong.ledger import service as ledger
from xinyong.querylog.service import SELF_QUERY, log_query
from xinyong.reports import authorisations
from xinyong.reports.content import ReportContent, public_report, special_report
from xinyong.reports.document import Issue, report_html
from xinyong.reports.models import CreditReport
from xinyong.reports.rules import KIND_NAMES_ZH, REPORT_KINDS, Rules
from xinyong.reports.signing import sign_pdf
from xinyong.subjects import service as subjects_service
from xinyong.subjects.common import SubjectView

# Roles that issue reports for subjects at a window (信用窗口).
WINDOW_ROLES = ("credit_office",)
# The query-log purpose of a report not issued to the subject itself.
REPORT_PURPOSE = "credit_report"
# Check codes avoid characters people confuse (0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_CODE_LENGTH = 8


@dataclass(frozen=True)
class IssuedReport:
    number: str
    check_code: str
    kind: str
    field: str | None
    scope: str
    channel: str
    subject_id: int
    subject_name: str
    issued_at: datetime
    valid_until: date
    sha256: str
    size: int
    counts: dict[str, int]
    found: int
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


def find_subject(session: Session, code: str | int) -> SubjectView:
    """The subject by its code (USCC or ID number) or id, following a governance merge."""
    if isinstance(code, int):
        subject = subjects_service.get_subject(session, code)
    else:
        subject = subjects_service.get_by_code(session, code.strip())
    seen = {subject.id}
    while subject.merged_into_id is not None and subject.merged_into_id not in seen:
        seen.add(subject.merged_into_id)
        subject = subjects_service.get_subject(session, subject.merged_into_id)
    return subject


def _year_start(today: date) -> datetime:
    return datetime.combine(date(today.year, 1, 1), time(), CHINA_TZ).astimezone(UTC)


def self_reports_this_year(session: Session, subject_id: int, today: date) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CreditReport)
            .where(
                CreditReport.subject_id == subject_id,
                CreditReport.channel == "self",
                CreditReport.issued_at >= _year_start(today),
            )
        )
        or 0
    )


def free_reports_left(session: Session, subject_id: int, today: date, rules: Rules | None = None) -> int:
    rules = rules or Rules(today)
    return max(0, rules.issuing.free_per_year - self_reports_this_year(session, subject_id, today))


def decide_channel(
    session: Session, principal: Principal, subject: SubjectView, kind: str, field: str | None, today: date
) -> tuple[str, str, int | None]:
    """(channel, scope, authorisation id) of a report ``principal`` asks for."""
    if principal.role == "subject" and principal.subject_id == subject.id:
        return "self", "full", None
    if principal.role in WINDOW_ROLES:
        return "window", "full", None
    grant = authorisations.active_for(session, principal, subject.id, kind, field, today)
    if grant is not None:
        return "authorised", "full", grant.id
    return "public", "public", None


def _period(rules: Rules, today: date, start: date | None, end: date | None) -> tuple[date, date]:
    end = end or today
    if start is None:
        years = rules.issuing.special_period_years
        try:
            start = end.replace(year=end.year - years) + timedelta(days=1)
        except ValueError:  # 29 February
            start = end.replace(year=end.year - years, day=28) + timedelta(days=1)
    if start > end or end > today:
        raise InvalidInput(
            "The period must start before it ends and not end after today",
            "查询期间有误：起始日期须早于截止日期，且截止日期不得晚于今天",
            code="reports.bad_period",
            field="period",
            value=f"{start}..{end}",
        )
    return start, end


def assemble(
    session: Session,
    subject: SubjectView,
    *,
    kind: str,
    scope: str,
    rules: Rules,
    field: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    as_of: datetime | None = None,
) -> ReportContent:
    """The report's content (no register row, no file): what ``issue_report`` prints."""
    as_of = as_of or utcnow()
    today = as_of.astimezone(CHINA_TZ).date()
    if kind == "special":
        if not field:
            raise InvalidInput(
                "A special report needs a field",
                "专项信用报告须指定领域（如 市场监管）",
                code="reports.field_required",
                field="field",
                allowed=[f.code for f in rules.fields.items],
            )
        start, end = _period(rules, today, period_from, period_to)
        return special_report(session, subject, scope, rules, field, start, end, as_of, today)
    return public_report(session, subject, scope, rules, as_of, today)


def issue_report(
    session: Session,
    principal: Principal,
    subject_code: str | int,
    *,
    kind: str = "public",
    field: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    channel: str = "api",
    now: datetime | None = None,
) -> IssuedReport:
    """Issue, sign, register and log one report; the caller commits."""
    if kind not in REPORT_KINDS:
        raise InvalidInput(
            f"Unknown report kind {kind!r}",
            f"未知的报告类型：{kind}（可选：公共信用信息报告 public、专项信用报告 special）",
            code="reports.unknown_kind",
            field="kind",
            value=kind,
            allowed=list(REPORT_KINDS),
        )
    now = now or utcnow()
    today = now.astimezone(CHINA_TZ).date()
    rules = Rules(today)
    subject = find_subject(session, subject_code)
    if kind == "special" and field:
        field = rules.field(field).code
    how, scope, grant_id = decide_channel(session, principal, subject, kind, field, today)
    if how == "self" and free_reports_left(session, subject.id, today, rules) <= 0:
        raise Forbidden(
            "The free self-service reports of this year are used up",
            f"本年度自助下载的 {rules.issuing.free_per_year} 份免费信用报告已用完，可到信用窗口申请出具（不收取费用）",
            code="reports.free_quota_used",
            rule="issuing.free_per_year",
            value=rules.issuing.free_per_year,
        )
    content = assemble(
        session,
        subject,
        kind=kind,
        scope=scope,
        rules=rules,
        field=field,
        period_from=period_from,
        period_to=period_to,
        as_of=now,
    )
    valid_until = today + timedelta(days=rules.issuing.validity_days)
    row = CreditReport(
        number=f"pending-{secrets.token_hex(8)}",
        check_code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH)),
        kind=kind,
        field=content.field_code,
        scope=scope,
        subject_id=subject.id,
        subject_name=subject.name,
        subject_code=subject.code or "",
        period_from=content.period_from,
        period_to=content.period_to,
        as_of=now,
        issued_at=now,
        valid_until=valid_until,
        channel=how,
        issued_by=(principal.label if principal.kind != "cli" else f"cli:{principal.username or ''}")[:120],
        issued_role=principal.role,
        organisation=(principal.organisation or "")[:200],
        authorisation_id=grant_id,
        counts=content.counts,
        found=content.found,
        size=0,
    )
    session.add(row)
    session.flush()
    # The number is the register's id under the issue day: unique without a counter to lock.
    row.number = f"XY{today:%Y%m%d}{row.id:08d}"
    pdf = render_signed(content, row.number, row.check_code, now, valid_until, rules)
    row.sha256 = hashlib.sha256(pdf).hexdigest()
    row.size = len(pdf)
    row.pdf = pdf
    purpose = SELF_QUERY if how == "self" else REPORT_PURPOSE
    row.query_log_id = log_query(
        session,
        principal,
        purpose,
        subject.id,
        sorted(content.item_codes),
        action="report.issue",
        channel=channel,
        result_count=sum(content.counts.values()),
        reference=f"report:{row.number}",
    )
    if grant_id is not None:
        authorisations.count_use(session, grant_id)
    ledger.append(
        session,
        "report.issued",
        f"report:{row.number}",
        {
            "number": row.number,
            "kind": kind,
            "field": content.field_code,
            "scope": scope,
            "channel": how,
            "subject_id": subject.id,
            "issued_at": now.astimezone(UTC).isoformat(),
            "valid_until": valid_until.isoformat(),
            "sha256": row.sha256,
            "size": row.size,
            "counts": content.counts,
        },
    )
    session.flush()
    return IssuedReport(
        number=row.number,
        check_code=row.check_code,
        kind=kind,
        field=content.field_code,
        scope=scope,
        channel=how,
        subject_id=subject.id,
        subject_name=subject.name,
        issued_at=now,
        valid_until=valid_until,
        sha256=row.sha256,
        size=row.size,
        counts=content.counts,
        found=content.found,
        pdf=pdf,
    )


def render_signed(
    content: ReportContent, number: str, check_code: str, issued_at: datetime, valid_until: date, rules: Rules
) -> bytes:
    """The signed PDF of ``content`` (render, watermark with the number, PAdES signature)."""
    platform = rules.platform
    issue = Issue(
        number=number,
        check_code=check_code,
        issued_at=issued_at,
        valid_until=valid_until,
        platform_zh=platform.name_zh,
        issuer_zh=platform.issuer_zh,
        verify_url=platform.verify_address,
    )
    pdf = render_pdf(report_html(content, issue), watermark=f"{platform.name_zh} {number}")
    return sign_pdf(pdf, number, platform_zh=platform.name_zh)


def kind_name(kind: str, field: str | None) -> str:
    name = KIND_NAMES_ZH.get(kind, kind)
    return f"{name}（{field}）" if field else name


def get_report_row(session: Session, number: str) -> CreditReport:
    row = session.scalar(select(CreditReport).where(CreditReport.number == number.strip()))
    if row is None:
        raise NotFound(
            f"No report has the number {number!r}",
            f"未找到编号为 {number} 的信用报告",
            code="reports.not_found",
            field="number",
            value=number,
        )
    return row
