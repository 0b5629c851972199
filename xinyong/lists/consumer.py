"""The outbox consumer ``lists``: proposes from the list types' criteria (record events, grade
changes), ends listings whose basis record was withdrawn and re-derives the memberships on each
named subject's credit state row; :func:`settle` runs it after a transition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.ruleset import add_months
from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.errors import NotFound
from xinyong.core.events import BATCH, Event, emit, pending, wait_for_writers
from xinyong.creditstate import service as creditstate_service
from xinyong.ingest import service as ingest_service
from xinyong.lists.common import (
    CONSUMER,
    MEMBERSHIPS_CHANGED,
    SYSTEM,
    _active_types,
    _current_procedure,
    _last_step_date,
    log,
)
from xinyong.lists.listing import exit_list, publish, withdraw
from xinyong.lists.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    ListLiablePerson,
    ListProcedure,
)
from xinyong.lists.procedure import decide, propose
from xinyong.lists.rules import (
    GradeCriterion,
    ListRules,
    ListType,
    RecordCriterion,
    get_list_rules,
)
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

if TYPE_CHECKING:
    from xinyong.subjects.common import SubjectView

# ---------------------------------------------------------------------------------------------
# The outbox consumer


@dataclass
class _Context:
    rules: ListRules
    providers: dict[int, tuple[str, str]] = field(default_factory=dict)  # provider id -> (code, name)
    # Subjects with an open or active procedure of a list that new negative information ends
    # (red lists): loaded once per run, so other negative records cost no query.
    conditional: set[int] | None = None

    def conditional_subjects(self, session: Session) -> set[int]:
        if self.conditional is None:
            types = [t.code for t in self.rules.types.values() if t.exit_condition("conditions_lost")]
            self.conditional = (
                set(
                    session.scalars(
                        select(ListProcedure.subject_id).where(
                            ListProcedure.list_type.in_(types),
                            ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES),
                        )
                    )
                )
                if types
                else set()
            )
        return self.conditional


def _event_day(ev: Event) -> date:
    moment = ev.created_at
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_CHINA).date()


def process_events(session: Session, limit: int = BATCH) -> int:
    """Consume one batch of outbox events: automatic proposals (record and grade criteria),
    exits when a basis record is withdrawn or a red-listed subject gets negative information,
    and the list memberships of every subject a ``list.*`` event names. Idempotent; the cursor
    moves in the caller's transaction. Returns how many events were consumed (call again after a
    commit until 0: catch-up in short transactions)."""
    if not wait_for_writers(session):
        return 0
    ctx = _Context(rules=get_list_rules())
    cursor, events = pending(session, CONSUMER, limit)
    if not events:
        return 0
    affected: set[int] = set()
    for ev in events:
        payload = ev.payload or {}
        if ev.type == MEMBERSHIPS_CHANGED:
            continue  # written by this consumer: nothing to derive
        if ev.type.startswith("list."):
            if ev.subject_id is not None:
                affected.add(ev.subject_id)
            affected.update(int(s) for s in payload.get("liable_subject_ids") or [])
        elif ev.type in ("record.created", "record.corrected"):
            _on_record(session, ev, ctx)
        elif ev.type == "record.withdrawn":
            _on_record_withdrawn(session, ev, ctx)
        elif ev.type == "evaluation.grade_changed":
            _on_grade(session, ev, ctx)
    _update_memberships(session, affected, ctx.rules)
    cursor.last_event_id = events[-1].id
    session.flush()
    return len(events)


def _provider(session: Session, ctx: _Context, provider_id: int | None) -> tuple[str, str] | None:
    if provider_id is None:
        return None
    if not ctx.providers:
        ctx.providers = {p.id: (p.code, p.name) for p in ingest_service.list_providers(session)}
    return ctx.providers.get(provider_id)


def _on_record(session: Session, ev: Event, ctx: _Context) -> None:
    payload = ev.payload or {}
    item_code, severity = payload.get("item_code"), payload.get("severity")
    subject_id, record_id = payload.get("subject_id"), payload.get("record_id")
    if not isinstance(subject_id, int) or not isinstance(record_id, int):
        return
    day = _event_day(ev)
    # A red-listed subject with new negative information no longer qualifies.
    if (
        severity
        and payload.get("polarity", "negative") == "negative"
        and subject_id in ctx.conditional_subjects(session)
    ):
        for lt in ctx.rules.types.values():
            cond = lt.exit_condition("conditions_lost")
            if cond is None or severity not in cond.on_negative_severities:
                continue
            proc = _current_procedure(session, subject_id, lt.code)
            if proc is None:
                continue
            note = f"新增{severity_zh(severity)}失信信息（信用记录 {record_id}），不再符合{lt.name_zh}条件"
            on = max(day, _last_step_date(session, proc))
            if proc.status in ACTIVE_STATUSES:
                exit_list(
                    session, proc.id, actor=SYSTEM, reason="conditions_lost", text=note, on=on, today=on
                )
            else:
                withdraw(session, proc.id, actor=SYSTEM, text=note, on=on, today=on)
    for lt in ctx.rules.types.values():
        for crit in lt.criteria:
            if not isinstance(crit, RecordCriterion) or item_code not in crit.items:
                continue
            if crit.severities and severity not in crit.severities:
                continue
            _propose_from_record(session, ctx, lt, crit, subject_id, record_id, day)


def severity_zh(code: str | None) -> str:
    return {"minor": "轻微", "general": "一般", "serious": "严重"}.get(code or "", "")


def _eligible_subject(
    session: Session, subject_id: int, lt: ListType, crit: RecordCriterion | GradeCriterion
) -> SubjectView | None:
    """The subject an automatic proposal under ``crit`` of ``lt`` would concern, or None when it
    has a procedure of the list already, sits on an excluding list, is unknown or merged, or is
    of a kind the list type or the criterion does not take."""

    if _current_procedure(session, subject_id, lt.code) is not None:
        return None
    if _active_types(session, subject_id) & set(lt.exclude_lists):
        return None
    try:
        subject = subjects_service.get_subject(session, subject_id)
    except NotFound:
        return None
    if subject.merged_into_id is not None or subject.kind not in lt.subject_kinds:
        return None
    if crit.subject_kinds and subject.kind not in crit.subject_kinds:
        return None
    return subject


def _propose_from_record(
    session: Session,
    ctx: _Context,
    lt: ListType,
    crit: RecordCriterion,
    subject_id: int,
    record_id: int,
    day: date,
) -> None:
    dedup = f"{lt.code}:record:{record_id}"
    if session.scalar(select(ListProcedure.id).where(ListProcedure.dedup_key == dedup)) is not None:
        return
    if _eligible_subject(session, subject_id, lt, crit) is None:
        return
    try:
        record = records_service.get_record(session, record_id)
    except NotFound:
        return
    if record.status != "in_force" or record.subject_id != subject_id:
        return
    data = record.data
    if crit.penalty_types and not set(_codes(data.get("penalty_types"))) & set(crit.penalty_types):
        return
    decided = record.decision_date
    since = add_months(day, -crit.window_months) if crit.window_months else None
    if since is not None and (decided is None or decided < since):
        return
    if crit.min_count > 1:
        matching = [
            r
            for r in records_service.evaluation_records(
                session,
                items=crit.items,
                facts={i: ["penalty_types"] for i in crit.items},
                subject_ids=[subject_id],
            )
            if (not crit.severities or r.severity in crit.severities)
            and (since is None or (r.decision_date is not None and r.decision_date >= since))
            and (
                not crit.penalty_types or set(_codes(r.facts.get("penalty_types"))) & set(crit.penalty_types)
            )
        ]
        if len(matching) < crit.min_count:
            return
    provider = _provider(session, ctx, record.provider_id)
    rule = lt.deciding_department.rule
    department = provider[0] if provider and rule in ("record_provider", "proposer") else None
    try:
        item_name = catalog_service.get_catalog().item(record.item_code).name_zh
    except NotFound:
        item_name = record.item_code
    reasons = f"{crit.name_zh}：{item_name}（{record.document_number}，{decided.isoformat() if decided else '日期不详'}）"
    if crit.min_count > 1:
        reasons += f"，{crit.window_months or ''}个月内共{len(matching)}条"
    auto = lt.procedure.auto_decide
    proposed_on = min(decided, day) if auto and decided else day
    view = propose(
        session,
        list_type=lt.code,
        subject_id=subject_id,
        actor=SYSTEM,
        reasons=reasons,
        basis_record_id=record_id,
        department_code=department,
        on=proposed_on,
        today=max(day, proposed_on),
        origin="automatic",
        criterion=crit.code,
        dedup_key=dedup,
    )
    if auto:
        decided_view = decide(
            session,
            view.id,
            actor=SYSTEM,
            outcome="list",
            reasons=f"{provider[1] if provider else item_name}决定：{reasons}",
            document_number=record.document_number,
            on=proposed_on,
            today=day,
        )
        # A listing whose period was already over when it reached the platform is kept in the
        # history (the tick ends it) but not published.
        still_on = decided_view.ends_on is None or decided_view.ends_on >= day
        if lt.procedure.publication and still_on:
            publish(session, view.id, actor=SYSTEM, on=day, today=day)


def _codes(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        for sep in (";", "；", ",", "，", "、"):
            value = value.replace(sep, ";")
        return [v.strip() for v in value.split(";") if v.strip()]
    return []


def _on_record_withdrawn(session: Session, ev: Event, ctx: _Context) -> None:
    record_id = (ev.payload or {}).get("record_id")
    if not isinstance(record_id, int):
        return
    day = _event_day(ev)
    procs = list(
        session.scalars(
            select(ListProcedure).where(
                ListProcedure.basis_record_id == record_id,
                ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES),
            )
        )
    )
    for proc in procs:
        lt = ctx.rules.types.get(proc.list_type)
        on = max(day, _last_step_date(session, proc))
        note = f"据以列入的信用记录（{record_id}）已被撤销或撤回"
        if proc.status in OPEN_STATUSES:
            withdraw(session, proc.id, actor=SYSTEM, text=note, on=on, today=on)
        elif lt is not None and lt.exit_condition("basis_withdrawn") is not None:
            exit_list(session, proc.id, actor=SYSTEM, reason="basis_withdrawn", text=note, on=on, today=on)


def _on_grade(session: Session, ev: Event, ctx: _Context) -> None:
    payload = ev.payload or {}
    grade, subject_id = payload.get("to_grade"), ev.subject_id
    if not isinstance(subject_id, int) or not grade:
        return
    day = _event_day(ev)
    for lt in ctx.rules.types.values():
        for crit in lt.criteria:
            if not isinstance(crit, GradeCriterion) or grade not in crit.grades:
                continue
            if _eligible_subject(session, subject_id, lt, crit) is None:
                continue
            state = creditstate_service.subject_summary(session, subject_id)
            if (
                crit.max_negative_in_force is not None
                and state.negative_in_force > crit.max_negative_in_force
            ):
                continue
            propose(
                session,
                list_type=lt.code,
                subject_id=subject_id,
                actor=SYSTEM,
                reasons=f"{crit.name_zh}：评价等级 {grade}（模型 {payload.get('model')} {payload.get('version')}）",
                on=day,
                today=day,
                origin="automatic",
                criterion=crit.code,
            )
            if lt.exit_condition("conditions_lost") is not None:
                ctx.conditional_subjects(session).add(subject_id)


def _update_memberships(session: Session, subject_ids: Iterable[int], rules: ListRules) -> None:
    """Re-derive the ``lists`` column of each subject's credit state from the procedures."""
    ids = sorted(set(subject_ids))
    if not ids:
        return
    entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        for p in session.scalars(
            select(ListProcedure).where(
                ListProcedure.subject_id.in_(part), ListProcedure.status.in_(ACTIVE_STATUSES)
            )
        ):
            lt = rules.types.get(p.list_type)
            entries[p.subject_id].append(
                {
                    "list_type": p.list_type,
                    "kind": p.list_kind,
                    "name_zh": lt.name_zh if lt else p.list_type,
                    "procedure_id": p.id,
                    "status": p.status,
                    "published": p.status == "published",
                    "starts_on": p.starts_on.isoformat() if p.starts_on else None,
                    "ends_on": p.ends_on.isoformat() if p.ends_on else None,
                    "department_code": p.department_code,
                    "decision_document": p.decision_document,
                }
            )
        rows = session.execute(
            select(ListLiablePerson, ListProcedure)
            .join(ListProcedure, ListProcedure.id == ListLiablePerson.procedure_id)
            .where(ListLiablePerson.subject_id.in_(part), ListProcedure.status.in_(ACTIVE_STATUSES))
        )
        for person, p in rows:
            lt = rules.types.get(p.list_type)
            months = lt.procedure.liable_restriction_months if lt else None
            until = add_months(p.starts_on, months) - timedelta(days=1) if months and p.starts_on else None
            entries[person.subject_id or 0].append(
                {
                    "liability": p.list_type,
                    "kind": p.list_kind,
                    "name_zh": lt.name_zh if lt else p.list_type,
                    "procedure_id": p.id,
                    "for_subject_id": p.subject_id,
                    "role": person.role,
                    "restricted_until": until.isoformat() if until else None,
                }
            )
    existing = creditstate_service.list_membership_entries(session, ids)
    out: dict[int, list[dict[str, Any]]] = {}
    for sid in ids:
        new = sorted(
            entries.get(sid, []), key=lambda e: (e.get("list_type") or e.get("liability"), e["procedure_id"])
        )
        if new != existing.get(sid, []):
            out[sid] = new
    if not out:
        return
    creditstate_service.set_list_memberships(session, out)
    for sid, new in out.items():
        emit(
            session,
            MEMBERSHIPS_CHANGED,
            subject_id=sid,
            payload={
                "subject_id": sid,
                "lists": sorted({e["list_type"] for e in new if "list_type" in e}),
                "liabilities": sorted({e["liability"] for e in new if "liability" in e}),
            },
        )


def settle(session: Session) -> None:
    """Commit the caller's transition, then bring the memberships up to date. A failure here
    only delays the state (the consumer catches up on its next run) and is logged."""
    session.commit()
    try:
        while process_events(session) > 0:
            session.commit()
        session.commit()
    except Exception:
        session.rollback()
        log.exception("the lists consumer failed after a transition")
