"""Feedback (奖惩案例反馈): a department reports that it applied (or did not apply) a measure,
ledgered; typical cases (典型案例) marked and published with natural persons' names
de-identified; statistics per department and measure, with the count of overdue checks."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.core.clock import today_china
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.ledger import service as ledger
from xinyong.measures.caller import Caller, _may_see
from xinyong.measures.catalog import MeasureCatalog, get_measures
from xinyong.measures.catalog_reads import _matter
from xinyong.measures.check_reads import _overdue_filter
from xinyong.measures.models import MeasureCheck, MeasureFeedback
from xinyong.measures.schemas import CaseOut, FeedbackOut, FeedbackRequest, FeedbackStats, StatRow
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service


def _feedback_out(session: Session, row: MeasureFeedback, cat: MeasureCatalog | None = None) -> FeedbackOut:
    cat = cat or get_measures()
    m = cat.measures.get(row.measure_code)
    try:
        view = subjects_service.get_subject(session, row.subject_id)
        code, name = view.code, view.name
    except NotFound:
        code, name = None, None
    return FeedbackOut(
        id=row.id,
        check_id=row.check_id,
        subject_id=row.subject_id,
        subject_code=code,
        subject_name=name,
        measure=row.measure_code,
        measure_name_zh=m.name_zh if m else None,
        matter=row.matter_code,
        action=row.action,
        applied_on=row.applied_on,
        document_number=row.document_number,
        department_code=row.department_code,
        reported_by=row.reported_by,
        note=row.note,
        typical=row.typical,
        typical_text=row.typical_text,
        created_at=row.created_at,
    )


def report_feedback(session: Session, req: FeedbackRequest, caller: Caller) -> FeedbackOut:
    """Record that the caller's department applied (or did not apply) a measure; ledgered."""
    if not caller.department_code:
        raise Forbidden(
            "Only a department can report feedback",
            "只有部门账号可以反馈奖惩实施情况",
            code="measures.no_department",
        )
    cat = get_measures()
    measure = cat.measures.get(req.measure)
    if measure is None:
        raise InvalidInput(
            f"Unknown measure {req.measure}",
            f"措施清单中没有该措施：{req.measure}",
            code="measures.unknown_measure",
            field="measure",
            value=req.measure,
        )
    _matter(cat, req.matter)
    if req.matter not in measure.matters:
        raise InvalidInput(
            f"Measure {measure.code} does not apply to matter {req.matter}",
            f"措施“{measure.name_zh}”不适用于该事项",
            code="measures.matter_mismatch",
            field="matter",
            value=req.matter,
            allowed=measure.matters,
        )
    if req.action not in cat.actions:
        raise InvalidInput(
            f"Unknown action {req.action}",
            f"反馈类型 {req.action} 不存在",
            code="measures.unknown_action",
            field="action",
            allowed=sorted(cat.actions),
        )
    if req.action == "not_applied" and not req.note.strip():
        raise InvalidInput(
            "Say why the measure was not applied",
            "未实施的须说明理由",
            code="measures.reason_required",
            field="note",
        )
    subject = subjects_service.get_by_code(session, req.subject)
    if req.applied_on > today_china():
        raise InvalidInput(
            "The date lies in the future",
            "实施日期不能晚于今天",
            code="measures.future_date",
            field="applied_on",
        )
    if req.check_id is not None:
        chk = session.get(MeasureCheck, req.check_id)
        if chk is None or not _may_see(caller, chk.department_code):
            raise NotFound(
                "No such check", "未找到该核查记录", code="measures.check_not_found", check_id=req.check_id
            )
        if chk.subject_id != subject.id:
            raise InvalidInput(
                "The check was about another subject",
                "该核查回执对应的是其他主体",
                code="measures.check_subject_mismatch",
                field="check_id",
            )
    row = MeasureFeedback(
        check_id=req.check_id,
        subject_id=subject.id,
        measure_code=measure.code,
        matter_code=req.matter,
        action=req.action,
        applied_on=req.applied_on,
        document_number=req.document_number.strip(),
        department_code=caller.department_code,
        reported_by=caller.label[:120],
        note=req.note.strip(),
        typical=False,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This measure was already reported for this subject and document number",
            "该主体、该措施、该文书号的反馈已存在",
            code="measures.feedback_exists",
            document_number=req.document_number,
        ) from None
    ledger.append(
        session,
        "measure.feedback",
        f"measure_feedback:{row.id}",
        {
            "subject_id": subject.id,
            "measure": measure.code,
            "matter": req.matter,
            "action": req.action,
            "applied_on": req.applied_on,
            "document_number": row.document_number,
            "department": caller.department_code,
            "check_id": req.check_id,
            "by": caller.label,
        },
    )
    return _feedback_out(session, row, cat)


def list_feedback(
    session: Session,
    caller: Caller,
    *,
    measure: str | None = None,
    typical: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FeedbackOut]:
    conditions: list[Any] = []
    if not caller.is_staff:
        conditions.append(MeasureFeedback.department_code == caller.department_code)
    if measure:
        conditions.append(MeasureFeedback.measure_code == measure)
    if typical is not None:
        conditions.append(MeasureFeedback.typical.is_(typical))
    cat = get_measures()
    rows = session.scalars(
        select(MeasureFeedback)
        .where(*conditions)
        .order_by(MeasureFeedback.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_feedback_out(session, r, cat) for r in rows]


def mark_typical(session: Session, feedback_id: int, text: str, caller: Caller) -> FeedbackOut:
    """Mark a feedback case as typical (典型案例) with a short text; the reporting department or
    the credit office may do it. Ledgered."""
    row = session.get(MeasureFeedback, feedback_id)
    if row is None or not _may_see(caller, row.department_code):
        raise NotFound(
            "No such feedback", "未找到该反馈", code="measures.feedback_not_found", feedback_id=feedback_id
        )
    text = text.strip()
    if not text:
        raise InvalidInput(
            "The case text is empty", "案例简述不能为空", code="measures.case_text_required", field="text"
        )
    row.typical = True
    row.typical_text = text
    row.typical_marked_by = caller.label[:120]
    row.typical_marked_at = datetime.now(UTC)
    session.flush()
    ledger.append(
        session,
        "measure.typical_case",
        f"measure_feedback:{row.id}",
        {"text": text, "by": caller.label, "measure": row.measure_code, "subject_id": row.subject_id},
    )
    return _feedback_out(session, row)


def typical_cases(session: Session, *, limit: int = 100) -> list[CaseOut]:
    """Typical cases for publication: enterprise names as registered, natural persons'
    names de-identified (个人信息去标识化)."""
    cat = get_measures()
    rows = session.scalars(
        select(MeasureFeedback)
        .where(MeasureFeedback.typical.is_(True))
        .order_by(MeasureFeedback.typical_marked_at.desc())
        .limit(limit)
    )
    out: list[CaseOut] = []
    for r in rows:
        m = cat.measures.get(r.measure_code)
        try:
            view = subjects_service.get_subject(session, r.subject_id)
            name = (
                records_service.public_person_name(view.name) if view.kind == "natural_person" else view.name
            )
        except NotFound:
            name = "—"
        out.append(
            CaseOut(
                id=r.id,
                measure=r.measure_code,
                measure_name_zh=m.name_zh if m else None,
                kind=m.kind if m else None,
                subject_name=name,
                department_code=r.department_code,
                applied_on=r.applied_on,
                document_number=r.document_number,
                text=r.typical_text or "",
            )
        )
    return out


def feedback_stats(session: Session, caller: Caller, *, today: date | None = None) -> FeedbackStats:
    """Per department and measure: checks that returned the measure, feedback reported
    (applied / not applied), typical cases; plus the count of overdue checks. A department sees
    its own rows; staff see all."""
    today = today or today_china()
    cat = get_measures()
    check_cond: list[Any] = [MeasureCheck.feedback_due_on.is_not(None)]
    fb_cond: list[Any] = []
    if not caller.is_staff:
        check_cond.append(MeasureCheck.department_code == caller.department_code)
        fb_cond.append(MeasureFeedback.department_code == caller.department_code)
    per: dict[tuple[str | None, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total_checks = 0
    for dept, codes in session.execute(
        select(MeasureCheck.department_code, MeasureCheck.measure_codes).where(*check_cond)
    ):
        total_checks += 1
        for code in codes or []:
            per[(dept, code)]["checks"] += 1
    rows = session.execute(
        select(
            MeasureFeedback.department_code,
            MeasureFeedback.measure_code,
            MeasureFeedback.action,
            MeasureFeedback.typical,
            func.count(),
        )
        .where(*fb_cond)
        .group_by(
            MeasureFeedback.department_code,
            MeasureFeedback.measure_code,
            MeasureFeedback.action,
            MeasureFeedback.typical,
        )
    )
    total_feedback = 0
    for dept, code, action, typical, n in rows:
        d = per[(dept, code)]
        d["feedback"] += n
        d[action] += n
        if typical:
            d["typical"] += n
        total_feedback += n
    overdue = (
        session.scalar(
            select(func.count()).select_from(MeasureCheck).where(*check_cond, *_overdue_filter(today))
        )
        or 0
    )
    out = []
    for (dept, code), d in sorted(per.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        m = cat.measures.get(code)
        out.append(
            StatRow(
                department_code=dept,
                measure=code,
                measure_name_zh=m.name_zh if m else None,
                kind=m.kind if m else None,
                checks_with_measure=d["checks"],
                feedback=d["feedback"],
                applied=d["applied"],
                not_applied=d["not_applied"],
                typical=d["typical"],
            )
        )
    return FeedbackStats(
        rows=out,
        total_checks_with_measures=total_checks,
        total_feedback=total_feedback,
        overdue_checks=overdue,
    )
