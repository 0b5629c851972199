"""What a signed-in subject sees of itself, assembled from the other domains' services.

Functions take a session and plain values (the subject's id, the caller as a ``Principal`` where
a service needs it) and return dataclasses the templates render. Nothing is computed here:
records and their versions come from ``records.service`` in the ``subject`` view
(``records.visibility``), counts and the grade from the credit state row and the evaluation
service, procedures from the lists service, viewers from the query log. Reading the whole file
is written to the query log (purpose ``self_query``), as every read of non-public information.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from xinyong.access import service as access_service
from xinyong.accounts.principal import Principal
from xinyong.catalog import service as catalog_service
from xinyong.core.errors import DomainError, NotFound
from xinyong.core.procedures import Actor
from xinyong.creditstate import service as creditstate_service
from xinyong.creditstate.schemas import CreditSummary
from xinyong.evaluation import service as evaluation_service
from xinyong.evaluation.schemas import SubjectResult, WhatIf
from xinyong.ingest import service as ingest_service
from xinyong.lists import service as lists_service
from xinyong.lists.schemas import ProcedureView
from xinyong.portal import service as portal_service
from xinyong.portal.service import Entry, FieldRow, Pager
from xinyong.portal.strings import t
from xinyong.querylog import service as querylog
from xinyong.querylog.service import ViewingPage
from xinyong.records import service as records_service
from xinyong.subjects.common import SubjectView

RECORDS_PER_PAGE = 20
RECENT_VIEWERS = 5
# Procedures still running (the subject has something to follow); the rest is history.
_FINAL_STATUSES = ("dismissed", "withdrawn", "exited")


@dataclass
class MeSubject:
    """The subject a subject account speaks for, as its own pages name it."""

    subject: SubjectView
    name: str
    display_code: str  # USCC, or the masked ID number (the full number is never needed here)


def subject_actor(principal: Principal, me: MeSubject) -> Actor:
    """The signed-in subject as the procedures (lists, casework) take it."""
    return Actor(principal.label, "subject", subject_id=me.subject.id)


def my_subject(session: Session, principal: Principal) -> MeSubject:
    """The signed-in account's subject; ``NotFound`` when the account is bound to none."""
    if principal.role != "subject" or principal.subject_id is None:
        raise NotFound(
            "This account is not bound to a subject",
            "该账户未绑定信用主体",
            code="me.no_subject",
        )
    subject = portal_service.find_subject(session, subject_id=principal.subject_id)
    return MeSubject(subject, subject.name, subject.uscc or subject.id_number_masked or "")


# --- overview --------------------------------------------------------------------------------


@dataclass
class Overview:
    me: MeSubject
    summary: CreditSummary  # the credit state row (counts, grade) as the consumer keeps it
    grade: SubjectResult | None
    grade_note: str | None  # why there is no grade (not evaluated yet, not in scope)
    open_procedures: list[ProcedureView]
    viewers: ViewingPage
    categories: list[tuple[str, int]]  # records in force per category (state row)


def _grade(session: Session, subject_id: int) -> tuple[SubjectResult | None, str | None]:
    """The latest grade, or why there is none (None: not evaluated yet, the page says so)."""
    try:
        return evaluation_service.explain(session, subject_id), None
    except NotFound:  # not evaluated yet
        return None, None
    except DomainError as exc:  # e.g. not in the scope of any model
        return None, exc.message_zh


def overview(session: Session, principal: Principal) -> Overview:
    me = my_subject(session, principal)
    sid = me.subject.id
    summary = creditstate_service.subject_summary(session, sid)
    grade, note = _grade(session, sid)
    procedures = [
        p for p in lists_service.subject_procedures(session, sid) if p.status not in _FINAL_STATUSES
    ]
    return Overview(
        me=me,
        summary=summary,
        grade=grade,
        grade_note=note,
        open_procedures=procedures,
        viewers=querylog.viewers_of(session, sid, page=1, per_page=RECENT_VIEWERS),
        # The state row also counts per category and severity ("行政处罚:general"): categories only.
        categories=sorted(
            ((k, n) for k, n in summary.counts.items() if ":" not in k and n), key=lambda kv: (-kv[1], kv[0])
        ),
    )


# --- my whole file -----------------------------------------------------------------------------


@dataclass
class VersionRow:
    version: int
    change: str
    date: date
    rows: list[FieldRow]


@dataclass
class FileEntry:
    entry: Entry
    versions: list[VersionRow] = field(default_factory=list)


@dataclass
class FileView:
    me: MeSubject
    entries: list[FileEntry]
    pager: Pager
    category: str
    categories: list[str]


def _field_rows(item_code: str, fields: dict[str, object]) -> list[FieldRow]:
    try:
        item = catalog_service.get_catalog().item(item_code)
    except NotFound:
        return [FieldRow(code, portal_service.display_value(None, value)) for code, value in fields.items()]
    specs = {f.code: f for f in item.fields}
    order = {f.code: i for i, f in enumerate(item.fields)}
    rows = []
    for code, value in sorted(fields.items(), key=lambda kv: order.get(kv[0], 1_000)):
        text = portal_service.display_value(specs.get(code), value)
        if text:
            rows.append(FieldRow(specs[code].name_zh if code in specs else code, text))
    return rows


def my_file(
    session: Session, principal: Principal, *, page: int = 1, category: str = "", today: date | None = None
) -> FileView:
    """Every record about the signed-in subject (ended and withdrawn ones too), newest first, with
    each version's fields the subject may see. The read is written to the query log."""
    me = my_subject(session, principal)
    sid = me.subject.id
    with access_service.reading(session, principal, None, action="me.file", channel="portal") as read:
        access = read.open(sid)  # the subject view, purpose self_query
        categories = sorted({i.category for i in catalog_service.get_catalog().items()})
        category = category if category in categories else ""
        found = records_service.list_subject_records(
            session,
            sid,
            visibility=access.viewer,
            today=today,
            category=category or None,
            page=max(page, 1),
            per_page=RECORDS_PER_PAGE,
        )
        items = {i.code: i for i in catalog_service.get_catalog().items()}
        providers = {p.id: p.name for p in ingest_service.list_providers(session)}
        entries = []
        for view in found.items:
            entry = portal_service.entry_of(view, items, providers)
            detail = records_service.view_record(session, view.id, visibility=access.viewer, today=today)
            versions = [
                VersionRow(v.version, v.change, v.date, _field_rows(view.item_code, dict(v.fields or {})))
                for v in reversed(detail.versions)
            ]
            entries.append(FileEntry(entry, versions))
        read.returned(sorted({v.item_code for v in found.items}), result_count=len(found.items))
    return FileView(
        me=me,
        entries=entries,
        pager=Pager.of(found.total, found.page, RECORDS_PER_PAGE),
        category=category,
        categories=categories,
    )


# --- my grade --------------------------------------------------------------------------------


@dataclass
class WhatIfRow:
    record_id: int
    item_name: str
    severity: str | None
    decision_date: date | None
    publicity_end: date | None
    grade_without: str
    grade_without_zh: str
    changes_grade: bool


@dataclass
class GradeView:
    me: MeSubject
    grade: SubjectResult | None
    note: str | None
    whatif: WhatIf | None
    whatif_rows: list[WhatIfRow]
    grade_names: dict[str, str]  # grade code → 优秀 / 良好 ...
    model_name: str = ""  # 企业公共信用综合评价模型, not enterprise


def my_grade(session: Session, principal: Principal) -> GradeView:
    """The signed-in subject's grade with its reasons, and what repairing (or the end of the
    publicity window of) each negative record would do to it (evaluation service)."""
    me = my_subject(session, principal)
    sid = me.subject.id
    grade, note = _grade(session, sid)
    whatif: WhatIf | None = None
    rows: list[WhatIfRow] = []
    names: dict[str, str] = {}
    if grade is not None:
        try:
            whatif = evaluation_service.whatif(session, sid)
        except DomainError:
            whatif = None
    if whatif is not None:
        names = {grade.grade: grade.grade_display_zh} if grade else {}
        for result in (whatif.current, whatif.all_repaired):
            if result is not None:
                names[result.grade] = result.grade_display_zh
        catalog = catalog_service.get_catalog()
        for r in whatif.records:
            try:
                item_name = catalog.item(r.item_code).name_zh
            except NotFound:
                item_name = r.item_code
            rows.append(
                WhatIfRow(
                    record_id=r.record_id,
                    item_name=item_name,
                    severity=r.severity,
                    decision_date=r.decision_date,
                    publicity_end=r.publicity_end,
                    grade_without=r.grade_without,
                    grade_without_zh=names.get(r.grade_without, r.grade_without),
                    changes_grade=r.changes_grade,
                )
            )
    model_name = ""
    if grade is not None:
        model_names = {m.code: m.name_zh for m in evaluation_service.list_models(session)}
        model_name = model_names.get(grade.model_code, "")
    return GradeView(
        me=me,
        grade=grade,
        note=note,
        whatif=whatif,
        whatif_rows=rows,
        grade_names=names,
        model_name=model_name or t("me.grade.model_unnamed"),
    )


# --- my list procedures ------------------------------------------------------------------------


@dataclass
class ListsView:
    me: MeSubject
    procedures: list[ProcedureView]


def my_procedures(session: Session, principal: Principal) -> ListsView:
    """Every list procedure about the signed-in subject, with its steps and deadlines."""
    me = my_subject(session, principal)
    return ListsView(me=me, procedures=lists_service.subject_procedures(session, me.subject.id))


def file_statement(
    session: Session, principal: Principal, procedure_id: int, text: str, *, hearing_requested: bool
) -> ProcedureView:
    """陈述申辩: the signed-in subject states its case on one of its own procedures (the lists
    service checks the procedure is the subject's and the statement period is open)."""
    me = my_subject(session, principal)
    return lists_service.file_statement(
        session,
        procedure_id,
        actor=subject_actor(principal, me),
        text=text,
        hearing_requested=hearing_requested,
    )
