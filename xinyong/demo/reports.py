"""The demo city's credit reports (called by ``xinyong.demo.service.build_demo``): the penalised
enterprise of the tour authorises the demo bank to obtain its full report, and the credit
office's window issues it one 公共信用信息报告, so the register, /verify and "who viewed me"
have something to show. Building again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.core.clock import today_china
from xinyong.demo.accounts import DEMO_BANK_DEPARTMENT
from xinyong.reports import service as reports_service

WINDOW = Principal(role="credit_office", kind="cli", username="demo", display_name="演示窗口")


def seed_reports(session: Session, subject_code: str | None) -> str | None:
    """The sample report's number (None when there is no subject or it was issued before)."""
    if not subject_code:
        return None
    subject = reports_service.find_subject(session, subject_code)
    if reports_service.list_reports(session, subject_id=subject.id, per_page=1).total:
        return None
    owner = Principal(role="subject", kind="user", username="demo", subject_id=subject.id)
    reports_service.grant(
        session,
        owner,
        grantee_department=DEMO_BANK_DEPARTMENT[0],
        kinds=["public", "special"],
        purpose_zh="流动资金贷款审批（演示）",
        expires_on=today_china() + timedelta(days=90),
    )
    return reports_service.issue_report(session, WINDOW, subject.id, channel="cli").number
