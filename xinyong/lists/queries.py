"""Reading lists: procedures and their counts, the queue of owed steps, public members,
announcements and the memberships the credit state rows hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.core.calendar import load_calendar
from xinyong.core.clock import today_china
from xinyong.core.errors import NotFound, UnknownCalendarYear
from xinyong.core.paging import check_page, paged
from xinyong.creditstate import service as creditstate_service
from xinyong.lists.common import (
    EXIT_ZH,
    ROLE_ZH,
    STATUS_ZH,
    STEP_ZH,
    Actor,
    _is_overdue,
    _load,
    _may_see,
    _next_step,
    _rules_or_none,
    _subject_ref,
    _view,
)
from xinyong.lists.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    ListLiablePerson,
    ListProcedure,
)
from xinyong.lists.rules import (
    ListRules,
    ListType,
    get_list_rules,
)
from xinyong.lists.schemas import (
    Announcement,
    MemberPage,
    ProcedurePage,
    ProcedureView,
    PublicLiablePerson,
    PublicMember,
    QueueItem,
)
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

# ---------------------------------------------------------------------------------------------
# Reading


def procedure_exists(session: Session, *, dedup_key: str) -> bool:
    """Whether a procedure with this dedup key exists (in any state)."""
    return session.scalar(select(ListProcedure.id).where(ListProcedure.dedup_key == dedup_key)) is not None


def count_procedures(session: Session) -> int:
    """How many procedures there are, in every state."""
    return session.scalar(select(func.count(ListProcedure.id))) or 0


def procedure_subject_ids(session: Session) -> set[int]:
    """The subjects that have any procedure, in any state."""
    return set(session.scalars(select(ListProcedure.subject_id)))


def procedure_list_type(session: Session, procedure_id: int) -> str:
    """The list type code of a procedure (``NotFound`` if there is none)."""
    return _load(session, procedure_id).list_type


def procedure_status_counts(session: Session) -> dict[str, int]:
    """How many procedures are in each status, by status code in order."""
    rows = session.execute(select(ListProcedure.status, func.count()).group_by(ListProcedure.status))
    return dict(sorted((status, n) for status, n in rows))


def get_procedure(
    session: Session, procedure_id: int, *, actor: Actor, today: date | None = None
) -> ProcedureView:
    """One procedure with its history and liable persons, if ``actor`` may see it."""
    proc = _load(session, procedure_id)
    if not _may_see(actor, proc):
        raise NotFound(
            f"No list procedure {procedure_id}",
            "未找到该名单认定程序",
            code="lists.procedure_not_found",
            procedure_id=procedure_id,
        )
    return _view(session, proc, get_list_rules(), today or today_china(), with_steps=True)


def _visible(actor: Actor) -> list[Any]:
    if actor.staff or actor.role == "regulator":
        return []
    if actor.role == "provider" and actor.provider_code:
        return [ListProcedure.department_code == actor.provider_code]
    if actor.role == "subject" and actor.subject_id is not None:
        return [ListProcedure.subject_id == actor.subject_id]
    return [ListProcedure.id < 0]


def _check_page(page: int, per_page: int) -> None:
    check_page(page, per_page, limit=200, code="lists.bad_page")


def list_procedures(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    list_type: str | None = None,
    subject_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> ProcedurePage:
    """Procedures ``actor`` may see (a provider: its department's; a subject: its own), newest first."""
    _check_page(page, per_page)
    conditions = _visible(actor)
    if status:
        conditions.append(ListProcedure.status == status)
    if list_type:
        conditions.append(ListProcedure.list_type == list_type)
    if subject_id is not None:
        conditions.append(ListProcedure.subject_id == subject_id)
    order = (ListProcedure.proposed_on.desc(), ListProcedure.id.desc())
    total, rows = paged(session, ListProcedure, conditions, order, page, per_page)
    rules, day = get_list_rules(), today or today_china()
    return ProcedurePage(
        total=total, page=page, per_page=per_page, items=[_view(session, p, rules, day) for p in rows]
    )


def subject_procedures(
    session: Session, subject_id: int, *, today: date | None = None
) -> list[ProcedureView]:
    """Every procedure about one subject (its own view: the subject sees and answers them)."""
    rules, day = get_list_rules(), today or today_china()
    subject = _subject_ref(session, subject_id)
    rows = session.scalars(
        select(ListProcedure)
        .where(ListProcedure.subject_id == subject_id)
        .order_by(ListProcedure.proposed_on.desc(), ListProcedure.id.desc())
    )
    return [_view(session, p, rules, day, subject=subject, with_steps=True) for p in rows]


def queue(
    session: Session,
    *,
    actor: Actor,
    today: date | None = None,
    overdue_only: bool = False,
    list_type: str | None = None,
) -> list[QueueItem]:
    """The procedures waiting for a step, with the step's working-day deadline: overdue ones first
    (most late first), then by deadline. A provider sees its department's."""
    today = today or today_china()
    rules = get_list_rules()
    cal = load_calendar(session)
    conditions = [*_visible(actor), ListProcedure.status.in_(OPEN_STATUSES + ACTIVE_STATUSES)]
    if list_type:
        conditions.append(ListProcedure.list_type == list_type)
    items: list[QueueItem] = []
    for proc in session.scalars(select(ListProcedure).where(*conditions).order_by(ListProcedure.id)):
        nxt = _next_step(proc, _rules_or_none(rules, proc.list_type), today)
        if nxt is None:
            continue
        step, due = nxt
        overdue = _is_overdue(step, due, today)
        if overdue_only and not overdue:
            continue
        late: int | None = None
        if overdue and due is not None:
            try:
                late = cal.working_days_between(due, today)
            except UnknownCalendarYear:
                late = None
        items.append(
            QueueItem(
                procedure=_view(session, proc, rules, today),
                step=step,
                step_zh=STEP_ZH[step],
                due=due,
                overdue=overdue,
                overdue_working_days=late,
                due_unknown=due is None and step != "statement",
            )
        )
    items.sort(key=lambda q: (not q.overdue, q.due or date.max, q.procedure.id))
    return items


def _public_member(session: Session, proc: ListProcedure, lt: ListType | None) -> PublicMember:
    s = subjects_service.get_subject(session, proc.subject_id)
    person = s.kind == "natural_person"
    return PublicMember(
        procedure_id=proc.id,
        list_type=proc.list_type,
        list_name_zh=lt.name_zh if lt else proc.list_type,
        list_kind=proc.list_kind,
        subject_id=proc.subject_id,
        subject_name=records_service.public_person_name(s.name) if person else s.name,
        subject_code=s.id_number_masked if person else s.uscc,
        subject_kind=s.kind,
        department_name=proc.department_name,
        decision_document=proc.decision_document,
        decided_on=proc.decided_on,
        published_on=proc.published_on,
        ends_on=proc.ends_on,
        reasons=proc.reasons,
        legal_basis=proc.legal_basis,
        basis_record_id=proc.basis_record_id,
    )


def _public_types(rules: ListRules, list_type: str | None, kind: str | None) -> list[str]:
    return [
        t.code
        for t in rules.all()
        if t.procedure.publication
        and (list_type is None or t.code == list_type)
        and (kind is None or t.kind == kind)
    ]


def public_members(
    session: Session,
    *,
    list_type: str | None = None,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> MemberPage:
    """Members of the published lists (public fields only), newest publication first."""
    _check_page(page, per_page)
    rules = get_list_rules()
    if list_type:
        rules.get(list_type)
    codes = _public_types(rules, list_type, kind)
    conditions = [ListProcedure.status == "published", ListProcedure.list_type.in_(codes)]
    order = (ListProcedure.published_on.desc(), ListProcedure.id.desc())
    total, rows = paged(session, ListProcedure, conditions, order, page, per_page)
    items = [_public_member(session, p, rules.types.get(p.list_type)) for p in rows]
    return MemberPage(total=total, page=page, per_page=per_page, items=items)


def subject_public_memberships(session: Session, subject_id: int) -> list[PublicMember]:
    """The subject's entries on the published lists (public fields only), newest first: what its
    public page shows. Unpublished lists (e.g. 重点关注名单) and ended entries are not here."""
    rules = get_list_rules()
    codes = _public_types(rules, None, None)
    rows = session.scalars(
        select(ListProcedure)
        .where(
            ListProcedure.subject_id == subject_id,
            ListProcedure.status == "published",
            ListProcedure.list_type.in_(codes),
        )
        .order_by(ListProcedure.published_on.desc(), ListProcedure.id.desc())
    )
    return [_public_member(session, p, rules.types.get(p.list_type)) for p in rows]


def public_counts(session: Session) -> dict[str, int]:
    """Published members per public list type."""
    rules = get_list_rules()
    codes = _public_types(rules, None, None)
    rows = session.execute(
        select(ListProcedure.list_type, func.count())
        .where(ListProcedure.status == "published", ListProcedure.list_type.in_(codes))
        .group_by(ListProcedure.list_type)
    )
    counts = dict.fromkeys(codes, 0)
    counts.update({code: int(n) for code, n in rows})
    return counts


def announcements(
    session: Session, *, list_type: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[int, list[Announcement]]:
    """Announcements of published listings and of their removals, newest first."""
    _check_page(page, per_page)
    rules = get_list_rules()
    codes = _public_types(rules, list_type, None)
    conditions = [ListProcedure.published_on.is_not(None), ListProcedure.list_type.in_(codes)]
    latest = func.coalesce(ListProcedure.exited_on, ListProcedure.published_on)
    total, rows = paged(
        session, ListProcedure, conditions, (latest.desc(), ListProcedure.id.desc()), page, per_page
    )
    return total, [_announcement(session, p, rules) for p in rows]


def _announcement(session: Session, proc: ListProcedure, rules: ListRules) -> Announcement:
    lt = rules.types.get(proc.list_type)
    persons = session.scalars(
        select(ListLiablePerson).where(ListLiablePerson.procedure_id == proc.id).order_by(ListLiablePerson.id)
    )
    return Announcement(
        member=_public_member(session, proc, lt),
        status=proc.status,
        status_zh=STATUS_ZH.get(proc.status, proc.status),
        liable_persons=[
            PublicLiablePerson(role=p.role, role_zh=ROLE_ZH.get(p.role, p.role), name=p.name) for p in persons
        ],
        exit_conditions=[e.name_zh for e in lt.exit_conditions] if lt else [],
        exited_on=proc.exited_on,
        exit_reason_zh=EXIT_ZH.get(proc.exit_reason) if proc.exit_reason else None,
    )


def announcement(session: Session, procedure_id: int) -> Announcement:
    """The public announcement of one published listing (NotFound for anything unpublished)."""
    rules = get_list_rules()
    proc = session.get(ListProcedure, procedure_id)
    lt = rules.types.get(proc.list_type) if proc is not None else None
    if proc is None or proc.published_on is None or lt is None or not lt.procedure.publication:
        raise NotFound(
            f"No published listing {procedure_id}",
            "未找到该名单公告",
            code="lists.announcement_not_found",
            procedure_id=procedure_id,
        )
    return _announcement(session, proc, rules)


def memberships(session: Session, subject_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The list memberships and liabilities the credit state rows hold (see the module doc)."""
    return creditstate_service.list_membership_entries(session, subject_ids)
