"""The check log read back: one logged check (for the department that made it, or staff), a
page of the log with the overdue checks (measures returned, no feedback after the deadline), and
the verification of a check receipt (signature, answer digest, whether the log holds it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.core import calendar as work_calendar
from xinyong.core.clock import today_china
from xinyong.core.errors import NotFound
from xinyong.measures import receipts
from xinyong.measures.caller import Caller, _may_see
from xinyong.measures.checks import answer_digest
from xinyong.measures.models import MeasureCheck, MeasureFeedback
from xinyong.measures.schemas import CheckPage, CheckSummary, VerifyResult


def verify_receipt(
    session: Session, receipt: dict[str, Any], answer: dict[str, Any] | None = None
) -> VerifyResult:
    """Whether a receipt is genuine: its Ed25519 signature by a platform key (current or
    retired); if ``answer`` is given, whether its measures hash to ``answer_sha256``; and
    whether the platform's check log holds it."""
    if not isinstance(receipt, dict) or receipt.get("format") not in receipts.FORMATS:
        return VerifyResult(
            valid=False,
            signature_valid=False,
            message="Not a Xinyong check receipt",
            message_zh="不是本平台的核查回执",
        )
    kid = receipts.key_id(receipt)
    ok = receipts.verify(receipt)
    matches = None if answer is None else answer_digest(answer) == receipt.get("answer_sha256")
    check_id = receipt.get("id") if isinstance(receipt.get("id"), str) else None
    logged = None
    if check_id:
        logged = session.get(MeasureCheck, check_id) is not None
    valid = bool(ok) and matches is not False
    if valid:
        msg, msg_zh = "The receipt is genuine", "回执真实有效：签名验证通过"
    elif not ok:
        msg, msg_zh = "The signature does not verify", "签名验证未通过：回执被改动或并非本平台签发"
    else:
        msg, msg_zh = "The answer does not match the receipt", "答复内容与回执不符"
    return VerifyResult(
        valid=valid,
        check_id=check_id,
        key_id=kid if isinstance(kid, str) else None,
        signature_valid=bool(ok),
        answer_matches=matches,
        logged=logged,
        message=msg,
        message_zh=msg_zh,
    )


def get_check(session: Session, check_id: str, caller: Caller) -> dict[str, Any]:
    """A logged check (its receipt and measures) for the department that made it or staff."""
    row = session.get(MeasureCheck, check_id)
    if row is None or not _may_see(caller, row.department_code):
        raise NotFound(
            "No such check", "未找到该核查记录", code="measures.check_not_found", check_id=check_id
        )
    return {
        "check_id": row.id,
        "issued_at": row.issued_at,
        "subject_id": row.subject_id,
        "matter": row.matter_code,
        "purpose": row.purpose,
        "caller": row.caller,
        "department_code": row.department_code,
        "batch_id": row.batch_id,
        "measures": row.answer,
        "feedback_due_on": row.feedback_due_on,
        "receipt": row.receipt,
    }


def _feedback_counts(session: Session, check_ids: Sequence[str]) -> dict[str, int]:
    if not check_ids:
        return {}
    rows = session.execute(
        select(MeasureFeedback.check_id, func.count())
        .where(MeasureFeedback.check_id.in_(list(check_ids)))
        .group_by(MeasureFeedback.check_id)
    )
    return {cid: n for cid, n in rows if cid is not None}


def _overdue_filter(today: date) -> list[Any]:
    no_feedback = ~select(MeasureFeedback.id).where(MeasureFeedback.check_id == MeasureCheck.id).exists()
    return [MeasureCheck.feedback_due_on.is_not(None), MeasureCheck.feedback_due_on < today, no_feedback]


def list_checks(
    session: Session,
    caller: Caller,
    *,
    overdue_only: bool = False,
    department_code: str | None = None,
    today: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> CheckPage:
    """The check log: a department sees its own checks, staff every department's (or one).
    ``overdue_only``: checks with measures and no feedback after the feedback deadline."""
    today = today or today_china()
    conditions: list[Any] = []
    if caller.is_staff:
        if department_code:
            conditions.append(MeasureCheck.department_code == department_code)
    else:
        conditions.append(MeasureCheck.department_code == caller.department_code)
    if overdue_only:
        conditions += _overdue_filter(today)
    total = session.scalar(select(func.count()).select_from(MeasureCheck).where(*conditions)) or 0
    rows = list(
        session.scalars(
            select(MeasureCheck)
            .where(*conditions)
            .order_by(MeasureCheck.issued_at.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    counts = _feedback_counts(session, [r.id for r in rows])
    items = [
        CheckSummary(
            check_id=r.id,
            issued_at=r.issued_at,
            subject_id=r.subject_id,
            matter=r.matter_code,
            purpose=r.purpose,
            caller=r.caller,
            department_code=r.department_code,
            measures=list(r.measure_codes or []),
            feedback_due_on=r.feedback_due_on,
            feedback_due_basis=r.feedback_due_basis or work_calendar.NOTICE,
            feedback_count=counts.get(r.id, 0),
            overdue=bool(r.feedback_due_on and r.feedback_due_on < today and not counts.get(r.id)),
        )
        for r in rows
    ]
    return CheckPage(total=total, items=items)
