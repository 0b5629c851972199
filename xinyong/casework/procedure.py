"""The skeleton every case procedure shares (objections, repairs, commitments, declarations).

A procedure describes itself once as a :class:`Procedure` of plain values (its casework kind,
case table, department column, error code prefix, status and action names, ruleset, the column of
the day a case came in) and calls it for what would otherwise be written four times: loading a
case and who may see it, a list's conditions and page, status counts, the overdue queue and its
escalation (督办), the lookup code's page (查询码), the fields every case's JSON fills alike, a new
application's intake (channel, attachments, 查询码, first deadline, ``file`` step) and each later
step. Beside it: a subject kind's catalog 主体类别, the departments' names, publishing an outcome
as a credit record, the fields of an application's JSON, and :func:`settle` after a step.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.casework import service as casework
from xinyong.casework.rules import AttachmentRule, CaseRules, Schedule
from xinyong.casework.schemas import DeadlineView, OverdueItem, TrackView
from xinyong.casework.service import Actor, CaseRef
from xinyong.catalog.service import get_catalog
from xinyong.core import events
from xinyong.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.core.paging import paged
from xinyong.ingest import service as ingest_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service
from xinyong.subjects.kinds import CATEGORY_OF_KIND

log = logging.getLogger(__name__)

# Who sees every case of a procedure: the credit office's window, the platform and regulators.
VIEWERS = ("credit_office", "regulator", "admin", "system")


Texts = tuple[str, str]  # an error's message in English and in Chinese

# The parts of a casework overdue item that a console overdue row repeats.
_OVERDUE_COLUMNS = {"step", "step_zh", "due_date", "working_days_late", "escalated"}


def subject_category(kind: str) -> str:
    """The catalog's 主体类别 of a subject kind (what a published record says of its subject)."""
    return CATEGORY_OF_KIND.get(kind, "法人及非法人组织")


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def department_names(session: Session) -> dict[str, str]:
    """Department (provider) code → name."""
    return {p.code: p.name for p in ingest_service.list_providers(session)}


def settle(session: Session, kind: str) -> None:
    """Commit the caller's step, then bring the credit state up to date (the record consumers).
    A consumer failure only delays the state (it catches up on its next run) and is logged."""
    session.commit()
    try:
        events.catch_up(session)
    except Exception:
        session.rollback()
        log.exception("the record consumers failed after a %s step", kind)


class CaseRow(Protocol):
    """What every procedure's case table has."""

    @property
    def id(self) -> int: ...
    @property
    def subject_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def schedule(self) -> str: ...


class Application(CaseRow, Protocol):
    """An application received online or at a window, on a versioned schedule (objections,
    repairs)."""

    @property
    def channel(self) -> str: ...
    @property
    def applicant_name(self) -> str: ...
    @property
    def filed_by(self) -> str: ...
    @property
    def received_on(self) -> date: ...
    @property
    def created_at(self) -> datetime: ...


Row = TypeVar("Row", bound=CaseRow)


@dataclass(frozen=True)
class Procedure(Generic[Row]):
    """One procedure's plain values; its methods are the steps all procedures take alike."""

    kind: str  # the casework kind: objection, repair, commitment, declaration
    model: type[Row]  # the case table
    department: str  # its column naming the department that acts on a case (provider_code …)
    code: str  # the prefix of its error codes: objections, repairs …
    status_zh: Mapping[str, str]
    action_zh: Mapping[str, str]
    rules: Callable[[], CaseRules]  # the procedure's ruleset in force
    opened_on: str  # its column of the day a case came in (received_on, signed_on, filed_on)
    not_found: Callable[[int], NotFound]  # the answer for a missing case
    hidden: Callable[[int], NotFound] | None = None  # for one the caller may not see (not_found)
    schedule_from: str | None = None  # the column choosing a case's schedule version (opened_on)

    def column(self, name: str) -> Any:
        """A column of the case table, for a query."""
        return getattr(self.model, name)

    def schedule(self, row: Row, rules: CaseRules | None = None) -> Schedule:
        """The schedule version a case follows: the one in force when it came in."""
        day = getattr(row, self.schedule_from or self.opened_on)
        return (rules or self.rules()).schedule(row.schedule, day)

    def ref(self, row: Row) -> CaseRef:
        return CaseRef(self.kind, row.id, row.subject_id)

    def load(self, session: Session, case_id: int) -> Row:
        row = session.get(self.model, case_id)
        if row is None:
            raise self.not_found(case_id)
        return row

    def may_see(self, actor: Actor, row: Row) -> bool:
        """Staff and regulators see every case; a provider its department's; a subject its own."""
        if actor.role in VIEWERS:
            return True
        if actor.role == "provider":
            return actor.provider_code is not None and actor.provider_code == getattr(row, self.department)
        if actor.role == "subject":
            return actor.subject_id is not None and actor.subject_id == row.subject_id
        return False

    def visible(self, session: Session, actor: Actor, case_id: int) -> Row:
        """The case if ``actor`` may see it; otherwise the same answer as a missing one (a caller
        learns nothing about others' cases)."""
        row = self.load(session, case_id)
        if not self.may_see(actor, row):
            raise self.hide(case_id)
        return row

    def hide(self, case_id: int) -> NotFound:
        """The answer for a case the caller may not see."""
        return (self.hidden or self.not_found)(case_id)

    def scope(self, actor: Actor) -> list[Any] | None:
        """Conditions on the case table for what ``actor`` may see: a subject its own cases, a
        provider its department's, the viewers all (no condition); None: no case at all."""
        if actor.role == "subject":
            return [self.column("subject_id") == (actor.subject_id or -1)]
        if actor.role == "provider":
            return [self.column(self.department) == (actor.provider_code or "")]
        return [] if actor.role in VIEWERS else None

    def conditions(
        self, actor: Actor, *, status: str | None, subject_id: int | None, open_statuses: Sequence[str] = ()
    ) -> list[Any] | None:
        """A list's conditions: the ``actor``'s scope, then the status asked for (``open``: any of
        ``open_statuses``, where the procedure has that filter) and the subject; None: no case."""
        conditions = self.scope(actor)
        if conditions is None:
            return None
        if status == "open" and open_statuses:
            conditions.append(self.column("status").in_(open_statuses))
        elif status:
            conditions.append(self.column("status") == status)
        if subject_id is not None:
            conditions.append(self.column("subject_id") == subject_id)
        return conditions

    def check_status(self, status: str | None) -> None:
        if status is not None and status not in self.status_zh:
            raise InvalidInput(
                f"Unknown status {status!r}",
                f"状态“{status}”不存在",
                code=f"{self.code}.bad_status",
                field="status",
                value=status,
                allowed=sorted(self.status_zh),
            )

    def page(
        self,
        session: Session,
        conditions: Sequence[Any] | None,
        order_by: Sequence[Any],
        page: int,
        per_page: int,
    ) -> tuple[int, list[Row]]:
        """(total, the rows of page ``page``) of the cases meeting ``conditions`` (None: none)."""
        if conditions is None:
            return 0, []
        return paged(session, self.model, conditions, order_by, page, per_page)

    def refusing_page(
        self,
        session: Session,
        actor: Actor,
        *,
        status: str | None,
        subject_id: int | None,
        order_by: Sequence[Any],
        page: int,
        per_page: int,
        refused: Texts,
    ) -> tuple[int, list[Row]]:
        """A list's page for procedures that refuse (``<code>.not_allowed``, ``refused``) a caller
        who may see no case at all, and an unknown status (commitments, declarations)."""
        self.check_status(status)
        conditions = self.conditions(actor, status=status, subject_id=subject_id)
        if conditions is None:
            raise Forbidden(*refused, code=f"{self.code}.not_allowed")
        return self.page(session, conditions, order_by, page, per_page)

    def status_counts(self, session: Session, actor: Actor) -> dict[str, int]:
        q = (
            select(self.column("status"), func.count())
            .where(*(self.scope(actor) or []))
            .group_by(self.column("status"))
        )
        return {s: n for s, n in session.execute(q)}

    def open_rows(self, session: Session, statuses: Sequence[str]) -> list[Row]:
        return list(session.scalars(select(self.model).where(self.column("status").in_(statuses))))

    def overdue(
        self, session: Session, actor: Actor, statuses: Sequence[str], today: date, *, subjects: bool = True
    ) -> list[tuple[OverdueItem, Row]]:
        """Overdue staff and provider steps of the cases in ``statuses`` that ``actor`` may see
        (the console queue), oldest first. ``subjects=False``: a subject sees none here."""
        if actor.role == "subject" and not subjects:
            return []
        rules = self.rules()
        by_id = {r.id: r for r in self.open_rows(session, statuses) if self.may_see(actor, r)}
        items = casework.overdue(
            session, self.kind, today, {i: self.schedule(r, rules) for i, r in by_id.items()}
        )
        return [(item, by_id[item.case_id]) for item in items if item.case_id in by_id]

    def overdue_columns(self, session: Session, item: OverdueItem, row: Row) -> dict[str, Any]:
        """A console overdue row's columns but the case id: the subject, the department, the step."""
        return {
            "subject_name": subjects_service.get_subject(session, row.subject_id).name,
            "department_code": getattr(row, self.department),
            **item.model_dump(include=_OVERDUE_COLUMNS),
        }

    def escalate(
        self,
        session: Session,
        statuses: Sequence[str],
        today: date,
        *,
        actor: str = "system:casework",
    ) -> int:
        """督办 the steps of the cases in ``statuses`` late by their ``escalate_after`` working
        days (the daily tick); how many."""
        rules = self.rules()
        rows = self.open_rows(session, statuses)
        done = casework.escalate_overdue(
            session,
            self.kind,
            today,
            {r.id: self.schedule(r, rules) for r in rows},
            {r.id: r.subject_id for r in rows},
            {r.id: r.status for r in rows},
            actor=actor,
        )
        return len(done)

    def track(self, session: Session, code: str, *, kind_zh: str, today: date) -> TrackView | None:
        """Progress by lookup code (no login): status, deadlines, letters and dated steps; None
        for a code that is not one of this procedure's."""
        found = casework.find_lookup(session, code)
        if found is None or found[0] != self.kind:
            return None
        row = self.load(session, found[1])
        return casework.track_view(
            session,
            self.ref(row),
            kind_zh=kind_zh,
            status=row.status,
            status_zh=self.status_zh[row.status],
            received_on=getattr(row, self.opened_on),
            schedule=self.schedule(row),
            action_zh=self.action_zh,
            today=today,
        )

    def file_fields(
        self, session: Session, row: Row, schedule: Schedule, today: date, *, full: bool, letters: bool = True
    ) -> dict[str, Any]:
        """The fields of a case's JSON every procedure fills alike: its status, lookup code and
        deadlines; the full view adds its steps, attachments and (where it shows them) letters."""
        ref = self.ref(row)
        fields: dict[str, Any] = {
            "status": row.status,
            "status_zh": self.status_zh.get(row.status, row.status),
            "lookup_code": casework.lookup_code_of(session, ref),
            "deadlines": casework.deadlines(session, ref, schedule, today),
            "steps": casework.steps(session, ref, self.action_zh) if full else [],
            "attachments": casework.attachments(session, ref) if full else [],
        }
        if letters:
            fields["letters"] = casework.letters(session, ref) if full else []
        return fields

    def parties(self, session: Session, row: Row) -> dict[str, Any]:
        """The fields naming a case's subject (name and code) and its department."""
        subject = subjects_service.get_subject(session, row.subject_id)
        department = getattr(row, self.department)
        return {
            "subject_id": row.subject_id,
            "subject_name": subject.name,
            "subject_code": subject.uscc or subject.id_number_masked,
            "department_code": department,
            "department_name": department_names(session).get(department, department),
        }

    def intake_channel(
        self, actor: Actor, received_on: date | None, today: date, *, backdated: Texts, refused: Texts
    ) -> str:
        """How an application comes in: ``online`` (its subject, dated the day it files) or
        ``window`` (staff enter it with the day the written application was received)."""
        if actor.role == "subject":
            if received_on is not None and received_on != today:
                raise InvalidInput(
                    *backdated,
                    code=f"{self.code}.received_on",
                    field="received_on",
                    value=received_on.isoformat(),
                )
            return "online"
        if actor.staff:
            return "window"
        raise Forbidden(*refused, code=f"{self.code}.not_allowed")

    def find_department(self, session: Session, code: str, label_zh: str) -> ingest_service.ProviderInfo:
        """The department a subject names (``label_zh``: its part, e.g. 受理部门)."""
        try:
            return ingest_service.get_provider(session, code)
        except NotFound:
            raise InvalidInput(
                f"Unknown department {code!r}",
                f"{label_zh}“{code}”不存在",
                code=f"{self.code}.unknown_department",
                field="department_code",
                value=code,
            ) from None

    def check_transition(
        self, row: Row, action: str, allowed_from: Mapping[str, Sequence[str]], *, noun: Texts, id_field: str
    ) -> None:
        """Refuse an action the procedure does not have, or one the case's status does not allow
        (``noun``: the case in English and Chinese; ``id_field``: the detail naming its id)."""
        if action not in allowed_from:
            raise InvalidInput(
                f"Unknown action {action!r}",
                f"未知的办理环节“{action}”",
                code=f"{self.code}.action",
                field="action",
            )
        if row.status not in allowed_from[action]:
            raise Conflict(
                f"Cannot {action} {noun[0]} in state {row.status!r}",
                f"{noun[1]}当前状态为“{self.status_zh[row.status]}”，不能{self.action_zh.get(action, action)}",
                code=f"{self.code}.invalid_transition",
                **{id_field: row.id},
                state=row.status,
                action=action,
                allowed_from=list(allowed_from[action]),
            )

    def open_case(
        self,
        session: Session,
        row: Row,
        *,
        files: Sequence[tuple[str, bytes]],
        rule: AttachmentRule,
        schedule: Schedule,
        step: str,
        actor: Actor,
        text: str,
        data: Mapping[str, Any],
    ) -> CaseRef:
        """Keep a new application: its row and attachments, its 查询码, the deadline of its first
        ``step`` (from the day received) and the ``file`` step of its history."""
        session.add(row)
        session.flush()
        ref = self.ref(row)
        for name, content in files:
            casework.add_attachment(session, ref, name, content, rule, actor.label)
        casework.issue_lookup_code(session, ref)
        on = getattr(row, self.opened_on)
        casework.open_deadline(session, ref, schedule, step, on)
        self.record(session, row, "file", None, on, actor.label, text=text, data=data)
        return ref

    def record(
        self,
        session: Session,
        row: Row,
        action: str,
        from_status: str | None,
        on: date,
        actor: str,
        *,
        text: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """The step ``action`` that brought the case from ``from_status`` to its status now."""
        casework.record_step(
            session,
            self.ref(row),
            action=action,
            from_status=from_status,
            to_status=row.status,
            on=on,
            actor=actor,
            text=text,
            data=data,
        )

    def bad_action(self, action: str, allowed: Sequence[str]) -> InvalidInput:
        return InvalidInput(
            f"Unknown action {action!r}",
            f"办理环节“{action}”不存在",
            code=f"{self.code}.bad_action",
            field="action",
            value=action,
            allowed=list(allowed),
        )

    def decode(self, attachments: Sequence[tuple[str, bytes | str]]) -> list[tuple[str, bytes]]:
        """Attachments as bytes: the API sends their content in Base64."""
        out: list[tuple[str, bytes]] = []
        for name, content in attachments:
            if isinstance(content, str):
                try:
                    content = base64.b64decode(content, validate=True)
                except (binascii.Error, ValueError):
                    raise InvalidInput(
                        f"Attachment {name!r} is not valid Base64",
                        f"附件“{name}”的内容不是有效的 Base64 编码",
                        code=f"{self.code}.attachment_encoding",
                        field="attachments",
                        value=name,
                    ) from None
            out.append((name, content))
        return out


@dataclass(frozen=True)
class InPerson:
    """The refusals of a step only the subject takes itself, or the credit office for it
    (signing a commitment, declaring): one procedure's error codes and texts."""

    code: str  # the prefix of its error codes: commitments, declarations
    others_code: str  # the code refusing any other caller: subject_signs, subject_declares
    own_only: Texts  # a subject account naming another subject
    others: Texts  # any other caller (a department, a regulator …)
    required: Texts  # the credit office naming no subject
    merged_zh: str  # the subject was merged into another one
    names_merged_into: bool = True  # that refusal names the subject it went into


def subject_in_person(
    session: Session, actor: Actor, subject_id: int | None, texts: InPerson
) -> subjects_service.SubjectView:
    """The subject a step is taken for: a subject account's own (naming another is refused), or
    the one the credit office (or the platform) names; never one merged into another."""
    if actor.role == "subject":
        if actor.subject_id is None or (subject_id is not None and subject_id != actor.subject_id):
            raise Forbidden(*texts.own_only, code=f"{texts.code}.own_subject_only")
        subject_id = actor.subject_id
    elif actor.role not in ("system", "credit_office"):
        raise Forbidden(*texts.others, code=f"{texts.code}.{texts.others_code}", role=actor.role)
    if subject_id is None:
        raise InvalidInput(*texts.required, code=f"{texts.code}.subject_required", field="subject_code")
    subject = subjects_service.get_subject(session, subject_id)
    if subject.merged_into_id is not None:
        into = {"merged_into_id": subject.merged_into_id} if texts.names_merged_into else {}
        raise Conflict(
            "The subject was merged into another one",
            texts.merged_zh,
            code=f"{texts.code}.subject_merged",
            subject_id=subject_id,
            **into,
        )
    return subject


def subject_fields(subject: subjects_service.SubjectView) -> dict[str, Any]:
    """The fields naming the subject of a record a procedure publishes."""
    return {"subject_name": subject.name, "subject_category": subject_category(subject.kind)}


def publish(
    session: Session,
    item: str,
    *,
    subject_id: int,
    department_id: int,
    document_number: str,
    data: dict[str, Any],
    received_on: date,
) -> records_store.RecordOutcome:
    """A case's outcome as a credit record of catalog ``item``, sent by its department through
    the records path (a new version when it changes)."""
    return records_store.store(
        session,
        item=get_catalog().item(item),
        subject_id=subject_id,
        provider_id=department_id,
        document_number=document_number,
        data=data,
        submission_id=None,
        received_on=received_on,
    )


def application_columns(
    schedule: Schedule, channel: str, applicant_name: str | None, subject_name: str, actor: Actor, day: date
) -> dict[str, Any]:
    """The columns of a new application (objections, repairs): filed, on the schedule version in
    force, how, when and by whom it came in, in the name of its applicant (the subject's by
    default)."""
    return {
        "status": "filed",
        "schedule": schedule.code,
        "schedule_from": schedule.effective_from,
        "channel": channel,
        "applicant_name": (applicant_name or "").strip() or subject_name,
        "filed_by": actor.label,
        "received_on": day,
        "extended": False,
    }


def application_fields(
    row: Application, schedule: Schedule, next_step: str | None, deadlines: Sequence[DeadlineView]
) -> dict[str, Any]:
    """The fields of an application's JSON (objections, repairs): how and when it came in, its
    schedule, the step it waits for and whether a deadline is overdue."""
    return {
        "schedule": row.schedule,
        "schedule_zh": schedule.name_zh,
        "schedule_source": schedule.source,
        "channel": row.channel,
        "applicant_name": row.applicant_name,
        "filed_by": row.filed_by,
        "received_on": row.received_on,
        "next_step": next_step,
        "next_step_zh": schedule.steps[next_step].name_zh if next_step else None,
        "overdue": any(d.overdue for d in deadlines),
        "created_at": row.created_at,
    }
