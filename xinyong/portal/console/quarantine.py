"""What the staff console shows and does, assembled from the other domains' services.

Functions take a session and plain values (the caller as a :class:`Desk`: its role and, for a
provider, its own department) and return dataclasses the templates render. Nothing here computes
a credit fact: submissions, quarantine and metrics come from ``ingest.service``; 重错码 cases from
``subjects.service``; rule tables from ``catalog.service`` and ``core.calendar``; list procedures
from ``lists.service``; the check log and feedback from ``measures.service``; grade
distributions from ``evaluation.service``. A provider sees and acts on its own department's
data only; the credit office and administrators see every department's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

import yaml
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.catalog import calendar as calendar_changes
from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import CatalogItem
from xinyong.core import calendar as work_calendar
from xinyong.core import calendar_notice
from xinyong.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from xinyong.core.models import CalendarNotice
from xinyong.core.settings import get_settings
from xinyong.evaluation import service as evaluation_service
from xinyong.evaluation.schemas import GradeShare, RunInfo
from xinyong.ingest import service as ingest_service
from xinyong.ingest.service import ProviderMetrics, QuarantineInfo, RowResult, SubmissionResult
from xinyong.lists import service as lists_service
from xinyong.lists.rules import ListType
from xinyong.lists.schemas import ProcedureView, QueueItem
from xinyong.measures import service as measures_service
from xinyong.measures.schemas import CheckPage, FeedbackStats
from xinyong.portal.service import Option, Pager
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service
from xinyong.subjects.common import CASE_KINDS, RESOLUTIONS, CasePage, GovernanceReport

PER_PAGE = 20
ROW_ERRORS_PER_PAGE = 100
STAFF_ROLES = ("credit_office", "admin")
# Quarantine states (ingest): open rows wait for a correction.
QUARANTINE_STATUSES = ("open", "resolved", "superseded", "discarded")
SUBMISSION_STATUSES = ("received", "done", "failed")
# Form field prefix of a quarantined row's values ("v:<header>"), so a header never collides with
# the form's own fields (csrf_token, note).
VALUE_PREFIX = "v:"


# --- who is at the desk --------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """The console user as plain values: staff see every department, a provider its own."""

    label: str  # user:zhangsan (kept with decisions)
    role: str
    provider_code: str | None = None
    provider_id: int | None = None
    provider_name: str | None = None
    department_code: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_provider(self) -> bool:
        return self.role == "provider"


def desk_of(session: Session, principal: Principal) -> Desk:
    """The console's view of a principal (a provider account resolved to its ingest provider)."""
    provider_id = provider_name = None
    if principal.role == "provider" and principal.provider_code:
        try:
            info = ingest_service.get_provider(session, principal.provider_code)
            provider_id, provider_name = info.id, info.name
        except NotFound:
            provider_id = None
    return Desk(
        label=principal.label,
        role=principal.role,
        provider_code=principal.provider_code,
        provider_id=provider_id,
        provider_name=provider_name,
        department_code=principal.department_code or principal.provider_code,
    )


def _own_provider(desk: Desk) -> int | None:
    """The provider filter for reads: a provider's own id; None (every provider) for staff. A
    provider account with no ingest provider sees nothing."""
    if desk.is_staff:
        return None
    if desk.provider_id is None:
        raise Forbidden(
            "This account is not linked to a provider",
            "该账户未关联信息提供单位，无法查看报送数据",
            code="console.no_provider",
        )
    return desk.provider_id


def _require_provider(desk: Desk) -> int:
    """Acting on submissions (upload, correct, discard) is the provider's own business (谁提供、谁负责)."""
    if not desk.is_provider or desk.provider_id is None:
        raise Forbidden(
            "Only the providing department submits and corrects its data",
            "报送和更正数据由信息提供单位办理",
            code="console.provider_only",
        )
    return desk.provider_id


# --- charts --------------------------------------------------------------------------------


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    """Data for one chart; ``static/js/console.js`` draws it with ECharts, and the page shows the
    same numbers in a table (readable without JavaScript)."""

    kind: str  # bar | hbar
    title: str
    categories: list[str]
    series: list[Series]
    unit: str = ""  # "%" for rates

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "categories": self.categories,
            "series": [{"name": s.name, "values": s.values} for s in self.series],
            "unit": self.unit,
        }


def _pct(rate: float) -> float:
    return round(rate * 100, 2)


# --- ingestion monitor ----------------------------------------------------------------------


@dataclass
class DepartmentMetrics:
    metrics: ProviderMetrics

    @property
    def error_pct(self) -> float:
        return _pct(self.metrics.error_rate)

    @property
    def late_pct(self) -> float:
        return _pct(self.metrics.late_rate)

    @property
    def on_time_pct(self) -> float:
        return round(100 - self.late_pct, 2)


def department_metrics(session: Session, desk: Desk) -> list[DepartmentMetrics]:
    """Per department (provider) totals: rows, rejections, late rows, rates (ingest metrics).
    Departments that never submitted are left out."""
    own = _own_provider(desk)
    out = []
    for p in ingest_service.list_providers(session):
        if own is not None and p.id != own:
            continue
        m = ingest_service.provider_metrics(session, p.code)
        if m.submissions:
            out.append(DepartmentMetrics(m))
    out.sort(key=lambda d: (-d.metrics.error_rate, d.metrics.provider_name))
    return out


def metrics_charts(rows: list[DepartmentMetrics]) -> list[Chart]:
    names = [r.metrics.provider_name for r in rows]
    return [
        Chart(
            "hbar",
            "各部门报送错误率",
            names,
            [Series("错误率（被拒行 / 报送行）", [r.error_pct for r in rows])],
            "%",
        ),
        Chart(
            "hbar",
            "各部门双公示报送及时率",
            names,
            [Series("及时率（按期报送行 / 新增行）", [r.on_time_pct for r in rows])],
            "%",
        ),
    ]


@dataclass
class IngestView:
    desk: Desk
    submissions: list[SubmissionResult]
    pager: Pager
    providers: list[Option]  # staff: filter by department
    provider: str
    status: str
    metrics: list[DepartmentMetrics]
    charts: list[Chart]
    names: dict[str, str]  # provider code → name
    item_names: dict[str, str]


def _item_names() -> dict[str, str]:
    return {i.code: i.name_zh for i in catalog_service.get_catalog().items()}


def _provider_names(session: Session) -> dict[str, str]:
    return {p.code: p.name for p in ingest_service.list_providers(session)}


def ingest_view(
    session: Session, desk: Desk, *, provider: str = "", status: str = "", page: int = 1
) -> IngestView:
    own = _own_provider(desk)
    providers = ingest_service.list_providers(session)
    by_code = {p.code: p for p in providers}
    provider_id = own
    if own is None and provider in by_code:
        provider_id = by_code[provider].id
    else:
        provider = ""
    status = status if status in SUBMISSION_STATUSES else ""
    found = ingest_service.list_submissions(
        session, provider_id=provider_id, status=status or None, page=max(page, 1), per_page=PER_PAGE
    )
    metrics = department_metrics(session, desk)
    return IngestView(
        desk=desk,
        submissions=found.items,
        pager=Pager.of(found.total, found.page, PER_PAGE),
        providers=[Option(p.code, p.name) for p in sorted(providers, key=lambda p: p.code)]
        if own is None
        else [],
        provider=provider,
        status=status,
        metrics=metrics,
        charts=metrics_charts(metrics),
        names={p.code: p.name for p in providers},
        item_names=_item_names(),
    )


@dataclass
class ProblemRow:
    """One problem of one row, as a person reads it."""

    row: int
    field: str  # the catalog field's Chinese name (or the header)
    header: str
    value: str
    rule: str
    message: str
    level: str  # error | warning
    quarantine_id: int | None = None
    quarantine_status: str | None = None


@dataclass
class SubmissionView:
    desk: Desk
    submission: SubmissionResult
    provider_name: str
    item_name: str
    problems: list[ProblemRow]
    pager: Pager
    file_errors: list[str]


def _field_names(item_code: str) -> dict[str, str]:
    try:
        return {f.code: f.name_zh for f in catalog_service.get_catalog().item(item_code).fields}
    except NotFound:
        return {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def problem_rows(
    results: list[RowResult], item_code: str, quarantine: Mapping[int, QuarantineInfo] | None = None
) -> list[ProblemRow]:
    names = _field_names(item_code)
    out = []
    for r in results:
        q = (quarantine or {}).get(r.row)
        for level, problems in (("error", r.errors), ("warning", r.warnings)):
            for p in problems:
                code = _text(p.get("field"))
                out.append(
                    ProblemRow(
                        row=int(p.get("row") or r.row),
                        field=names.get(code, code or _text(p.get("header"))),
                        header=_text(p.get("header")),
                        value=_text(p.get("value")),
                        rule=_text(p.get("rule")),
                        message=_text(p.get("message_zh") or p.get("message")),
                        level=level,
                        quarantine_id=q.id if q and level == "error" else None,
                        quarantine_status=q.status if q and level == "error" else None,
                    )
                )
    return out


def _file_errors(sub: SubmissionResult) -> list[str]:
    return [_text(e.get("message_zh") or e.get("message")) for e in sub.errors]


def submission_view(session: Session, desk: Desk, submission_id: str, *, page: int = 1) -> SubmissionView:
    """A submission's counters, file-level errors and every row problem (with the quarantined
    row to correct, when it is there)."""
    own = _own_provider(desk)
    sub = ingest_service.get_submission(session, submission_id, provider_id=own)
    rows = ingest_service.list_submission_rows(
        session,
        submission_id,
        provider_id=own,
        problems_only=True,
        page=max(page, 1),
        per_page=ROW_ERRORS_PER_PAGE,
    )
    quarantined = ingest_service.list_quarantine(
        session, submission_id=submission_id, status=None, per_page=500
    )
    by_row = {q.row_number: q for q in quarantined.items}
    return SubmissionView(
        desk=desk,
        submission=sub,
        provider_name=_provider_names(session).get(sub.provider_code, sub.provider_code),
        item_name=_item_names().get(sub.item_code, sub.item_code),
        problems=problem_rows(rows.items, sub.item_code, by_row),
        pager=Pager.of(rows.total, rows.page, ROW_ERRORS_PER_PAGE),
        file_errors=_file_errors(sub),
    )


# --- quarantine ------------------------------------------------------------------------------


@dataclass
class QuarantineRowView:
    info: QuarantineInfo
    provider_name: str
    item_name: str
    document_number: str
    subject_name: str
    messages: list[str]


@dataclass
class QuarantineListView:
    desk: Desk
    rows: list[QuarantineRowView]
    pager: Pager
    status: str
    provider: str
    providers: list[Option]


def _raw_value(raw: Mapping[str, Any], item_code: str, field_code: str) -> str:
    catalog = catalog_service.get_catalog()
    for header, value in raw.items():
        if catalog.resolve_header(item_code, header) == field_code and value not in (None, ""):
            return _text(value)
    return ""


def quarantine_view(
    session: Session, desk: Desk, *, status: str = "open", provider: str = "", page: int = 1
) -> QuarantineListView:
    own = _own_provider(desk)
    providers = ingest_service.list_providers(session)
    codes = {p.code for p in providers}
    status = status if status in QUARANTINE_STATUSES else "open"
    ref: str | int | None = own
    if own is None and provider in codes:
        ref = provider
    else:
        provider = ""
    found = ingest_service.list_quarantine(
        session, provider=ref, status=status, page=max(page, 1), per_page=PER_PAGE
    )
    names = {p.code: p.name for p in providers}
    items = _item_names()
    rows = [
        QuarantineRowView(
            info=q,
            provider_name=names.get(q.provider_code, q.provider_code),
            item_name=items.get(q.item_code, q.item_code),
            document_number=_raw_value(q.raw, q.item_code, catalog_service.DOCUMENT_NUMBER),
            subject_name=_raw_value(q.raw, q.item_code, catalog_service.SUBJECT_NAME),
            messages=[_text(e.get("message_zh") or e.get("message")) for e in q.errors],
        )
        for q in found.items
    ]
    return QuarantineListView(
        desk=desk,
        rows=rows,
        pager=Pager.of(found.total, found.page, PER_PAGE),
        status=status,
        provider=provider,
        providers=[Option(p.code, p.name) for p in sorted(providers, key=lambda p: p.code)]
        if own is None
        else [],
    )


@dataclass
class CorrectionField:
    """One input of the correct-and-resubmit form: the value as sent, under its header."""

    key: str  # the original header (or the field code, for a field the row lacked)
    label: str  # the catalog field's Chinese name
    value: str
    errors: list[str]
    required: bool


@dataclass
class QuarantineDetail:
    desk: Desk
    info: QuarantineInfo
    provider_name: str
    item_name: str
    fields: list[CorrectionField]
    errors: list[ProblemRow]
    may_act: bool  # the row's own provider, and the row is open


def _item(item_code: str) -> CatalogItem | None:
    try:
        return catalog_service.get_catalog().item(item_code)
    except NotFound:
        return None


def correction_fields(
    info: QuarantineInfo, errors: list[dict[str, Any]], values: Mapping[str, str] | None = None
) -> list[CorrectionField]:
    """The row's values under their headers, each with the errors found on it; a field the row
    lacked but an error names gets an input too. ``values``: what the user typed (kept after a
    failed attempt)."""
    item = _item(info.item_code)
    catalog = catalog_service.get_catalog()
    specs = {f.code: f for f in item.fields} if item else {}
    out: list[CorrectionField] = []
    seen: set[str] = set()
    raw = {k: v for k, v in info.raw.items() if not k.startswith("_")}
    for header, value in raw.items():
        code = catalog.resolve_header(info.item_code, header) if item else None
        if code:
            seen.add(code)
        spec = specs.get(code or "")
        msgs = [
            _text(e.get("message_zh") or e.get("message"))
            for e in errors
            if (e.get("header") == header)
            or (code is not None and e.get("field") == code and not e.get("header"))
        ]
        out.append(
            CorrectionField(
                key=header,
                label=spec.name_zh if spec else header,
                value=(values or {}).get(header, _text(value)),
                errors=msgs,
                required=bool(spec and spec.required),
            )
        )
    for e in errors:
        code = _text(e.get("field"))
        if code and code not in seen and code in specs and not e.get("header"):
            seen.add(code)
            out.append(
                CorrectionField(
                    key=code,
                    label=specs[code].name_zh,
                    value=(values or {}).get(code, ""),
                    errors=[
                        _text(x.get("message_zh") or x.get("message"))
                        for x in errors
                        if x.get("field") == code
                    ],
                    required=specs[code].required,
                )
            )
    return out


def quarantine_detail(
    session: Session,
    desk: Desk,
    quarantine_id: int,
    *,
    values: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> QuarantineDetail:
    own = _own_provider(desk)
    info = ingest_service.get_quarantine(session, quarantine_id, provider_id=own)
    shown = errors if errors is not None else info.errors
    return QuarantineDetail(
        desk=desk,
        info=info,
        provider_name=_provider_names(session).get(info.provider_code, info.provider_code),
        item_name=_item_names().get(info.item_code, info.item_code),
        fields=correction_fields(info, shown, values),
        errors=problem_rows(
            [RowResult(row=info.row_number, outcome="rejected", errors=shown)], info.item_code
        ),
        may_act=desk.is_provider and info.status == "open",
    )


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The row values posted by the correction form (``v:<header>`` fields)."""
    return {
        k[len(VALUE_PREFIX) :]: str(v).strip()
        for k, v in form.items()
        if k.startswith(VALUE_PREFIX) and isinstance(v, str)
    }


def resubmit(session: Session, desk: Desk, quarantine_id: int, values: Mapping[str, str]) -> SubmissionResult:
    """Correct a quarantined row with what changed in the form and submit it again (the ingest
    service validates it again; still invalid → ``InvalidInput`` ``ingest.still_invalid``)."""
    own = _require_provider(desk)
    info = ingest_service.get_quarantine(session, quarantine_id, provider_id=own)
    changed = {k: v for k, v in values.items() if v != _text(info.raw.get(k))}
    return ingest_service.correct_and_resubmit(session, quarantine_id, changed, provider_id=own)


def discard(session: Session, desk: Desk, quarantine_id: int, note: str) -> QuarantineInfo:
    own = _require_provider(desk)
    return ingest_service.discard(session, quarantine_id, note, provider_id=own)


def resubmitted_links(session: Session, desk: Desk, submission_id: str) -> list[tuple[str, str]]:
    """(name, page href) of the subjects whose records a submission stored, for a link after a
    correction ("the record is now on the subject's page")."""

    own = _own_provider(desk)
    out: list[tuple[str, str]] = []
    rows = ingest_service.list_submission_rows(session, submission_id, provider_id=own, per_page=50)
    for row in rows.items:
        if row.record_id is None:
            continue
        record = records_service.get_record(session, row.record_id)
        subject = subjects_service.get_subject(session, record.subject_id)
        href = f"/subjects/{subject.uscc}" if subject.uscc else f"/subjects/id/{subject.id}"
        if (subject.name, href) not in out:
            out.append((subject.name, href))
    return out


# --- upload ------------------------------------------------------------------------------------


@dataclass
class UploadView:
    desk: Desk
    items: list[Option]  # the catalog items the provider may submit
    item: str
    result: SubmissionResult | None
    problems: list[ProblemRow]
    file_errors: list[str]
    max_mb: int


def upload_view(session: Session, desk: Desk, *, item: str = "", submission_id: str = "") -> UploadView:
    own = _require_provider(desk)
    info = ingest_service.get_provider(session, desk.provider_code or "")
    names = _item_names()
    options = [Option(code, names.get(code, code)) for code in info.items]
    result = None
    problems: list[ProblemRow] = []
    if submission_id:
        result = ingest_service.get_submission(session, submission_id, provider_id=own)
        rows = ingest_service.list_submission_rows(
            session, submission_id, provider_id=own, problems_only=True, per_page=ROW_ERRORS_PER_PAGE
        )
        quarantined = ingest_service.list_quarantine(
            session, submission_id=submission_id, status=None, per_page=500
        )
        problems = problem_rows(rows.items, result.item_code, {q.row_number: q for q in quarantined.items})
        item = item or result.item_code
    return UploadView(
        desk=desk,
        items=options,
        item=item if item in info.items else (info.items[0] if len(info.items) == 1 else ""),
        result=result,
        problems=problems,
        file_errors=_file_errors(result) if result else [],
        max_mb=max(1, get_settings().max_upload_bytes // (1024 * 1024)),
    )


def upload(
    session: Session, desk: Desk, item_code: str, filename: str | None, stream: IO[bytes] | None
) -> SubmissionResult:
    """Submit a file for the provider (CSV/XLSX/JSON). A rejected file raises the ingest error
    (its ``details`` name the failed submission kept with the reason)."""
    own = _require_provider(desk)
    if not item_code:
        raise InvalidInput(
            "Choose the catalog item", "请选择报送的信息类别", code="console.item_required", field="item"
        )
    if not filename or stream is None:
        raise InvalidInput("Choose a file", "请选择要上传的文件", code="console.file_required", field="file")
    return ingest_service.submit_file(session, own, item_code, stream, filename)


# --- 重错码 governance -------------------------------------------------------------------------


@dataclass
class GovernanceView:
    cases: CasePage
    pager: Pager
    status: str
    kind: str
    kinds: tuple[str, ...]
    resolutions: tuple[str, ...]
    report: GovernanceReport
    targets: dict[int, list[Option]]  # case id → subjects a merge may keep / a correction may fix


def governance_view(
    session: Session, *, status: str = "open", kind: str = "", page: int = 1
) -> GovernanceView:
    status = status if status in ("open", "resolved", "all") else "open"
    kind = kind if kind in CASE_KINDS else ""
    cases = subjects_service.list_cases(
        session,
        status=None if status == "all" else status,
        kind=kind or None,
        page=max(page, 1),
        per_page=PER_PAGE,
    )
    targets: dict[int, list[Option]] = {}
    for case in cases.items:
        ids = list(case.subject_ids)
        candidates = case.details.get("candidates") if isinstance(case.details, dict) else None
        ids += [c for c in candidates or [] if isinstance(c, int) and c not in ids]
        options = []
        for sid in ids:
            try:
                s = subjects_service.get_subject(session, sid)
            except NotFound:
                continue
            if s.merged_into_id is None:
                options.append(Option(str(s.id), f"{s.name}（{s.uscc or s.id_number_masked or s.id}）"))
        targets[case.id] = options
    return GovernanceView(
        targets=targets,
        cases=cases,
        pager=Pager.of(cases.total, cases.page, PER_PAGE),
        status=status,
        kind=kind,
        kinds=CASE_KINDS,
        resolutions=RESOLUTIONS,
        report=subjects_service.governance_report(session),
    )


def resolve_case(
    session: Session,
    desk: Desk,
    case_id: int,
    *,
    resolution: str,
    note: str,
    target_subject_id: str,
    corrected_code: str,
) -> None:
    """Decide a 重错码 case (the subjects service applies it and keeps who decided)."""
    if not desk.is_staff:
        raise Forbidden(
            "Only the credit office resolves cases", "重错码事项由信用办处理", code="console.staff_only"
        )
    target = int(target_subject_id) if target_subject_id.strip().isdigit() else None
    subjects_service.resolve_case(
        session,
        case_id,
        resolution,
        by=desk.label,
        note=note.strip(),
        target_subject_id=target,
        corrected_code=corrected_code.strip() or None,
    )


# --- catalog and rule tables ---------------------------------------------------------------


@dataclass
class RulesView:
    ruleset: str
    version: str
    items: list[CatalogItem]
    publicity: Any  # catalog.ruleset.PublicityFile
    severity: Any  # catalog.ruleset.SeverityFile
    timeliness: Any  # catalog.ruleset.TimelinessFile
    calendar_years: list[int]
    declared_years: list[work_calendar.DeclaredYear]
    overrides: list[work_calendar.Override]
    provisional_years: list[int] = field(default_factory=list)
    notices: list[CalendarNotice] = field(default_factory=list)
    calendar_warning: str | None = None


def rules_view(session: Session) -> RulesView:
    catalog = catalog_service.get_catalog()
    cal = work_calendar.load_calendar(session)
    path = get_settings().ruleset_dir / "calendar.yaml"
    return RulesView(
        ruleset=catalog.meta.name,
        version=catalog.meta.version,
        items=catalog.items(),
        publicity=catalog.publicity_rules,
        severity=catalog.severity_rules,
        timeliness=catalog.timeliness_rules,
        calendar_years=cal.noticed_years(),
        declared_years=work_calendar.load_declared_years(path),
        overrides=work_calendar.list_overrides(session),
        provisional_years=cal.provisional_years(),
        notices=calendar_notice.list_notices(session),
        calendar_warning=_calendar_warning(session),
    )


def load_calendar_notice(session: Session, desk: Desk, *, text: str) -> calendar_notice.NoticeSummary:
    """Load a year's State Council holiday notice typed or pasted as YAML/JSON (the same checks
    as ``xinyong calendar load-notice``); the daily job then recomputes provisional dates."""
    if not desk.is_staff:
        raise Forbidden(
            "Only the credit office edits the calendar", "工作日历由信用办维护", code="console.staff_only"
        )
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(
            f"The notice is not valid YAML or JSON: {exc}",
            f"通知内容不是有效的 YAML 或 JSON：{exc}",
            code="calendar.notice.unreadable",
            field="notice",
        ) from exc
    return calendar_changes.load_notice(session, raw, by=desk.label)


def add_calendar_override(
    session: Session, desk: Desk, *, day: str, kind: str, name: str, source: str
) -> work_calendar.Override:
    """Record a city's correction of one day (a local holiday, a typhoon day off, a make-up
    working day); the decision goes to the ledger in the same transaction."""
    if not desk.is_staff:
        raise Forbidden(
            "Only the credit office edits the calendar", "工作日历由信用办维护", code="console.staff_only"
        )
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        raise InvalidInput(
            "The day must be YYYY-MM-DD",
            "日期格式应为 YYYY-MM-DD",
            code="console.bad_date",
            field="day",
            value=day,
        ) from None
    if kind not in ("holiday", "workday"):
        raise InvalidInput(
            "Choose a day off or a working day",
            "请选择休息日或工作日",
            code="console.bad_kind",
            field="kind",
            value=kind,
        )
    if not source.strip():
        raise InvalidInput(
            "Name the notice that decided it",
            "请填写依据（如当地政府通知文号）",
            code="console.source_required",
            field="source",
        )
    return calendar_changes.add_override(session, when, kind == "workday", name, source, by=desk.label)


# --- list procedures -------------------------------------------------------------------------


@dataclass
class ProcedurePage:
    procedure: ProcedureView
    list_type: ListType | None
    actions: list[str]  # the one-step actions offered now
    today: date


def _actor(desk: Desk) -> lists_service.Actor:
    return lists_service.Actor(label=desk.label, role=desk.role, provider_code=desk.provider_code)


# The step a procedure waits for → the action that takes it (the lists service checks the rest).
_STEP_ACTIONS = {
    "notice": "notice",
    "statement": "statement",
    "decision": "decide",
    "publication": "publish",
    "interview": "interview",
    "rectification": "rectify",
    "exit": "exit",
}


def procedure_page(session: Session, desk: Desk, procedure_id: int) -> ProcedurePage:
    proc = lists_service.get_procedure(session, procedure_id, actor=_actor(desk))
    try:
        lt: ListType | None = lists_service.get_list_type(proc.list_type)
    except NotFound:
        lt = None
    actions: list[str] = []
    if proc.next_step in _STEP_ACTIONS:
        actions.append(_STEP_ACTIONS[proc.next_step])
    if proc.status in ("listed", "published") and "exit" not in actions:
        actions.append("exit")
    if proc.status in ("proposed", "noticed", "heard"):
        actions.append("withdraw")
    return ProcedurePage(procedure=proc, list_type=lt, actions=actions, today=lists_service.today_china())


def procedure_step(
    session: Session, desk: Desk, procedure_id: int, action: str, form: Mapping[str, str]
) -> ProcedureView:
    """Take one step of a list procedure with the lists service (which checks the department,
    the state and the deadlines, and writes the step to the ledger)."""
    actor = _actor(desk)

    def text(name: str) -> str:
        return (form.get(name) or "").strip()

    def opt(name: str) -> str | None:
        return text(name) or None

    if action == "notice":
        return lists_service.notice(
            session, procedure_id, actor=actor, text=opt("text"), document_number=opt("document_number")
        )
    if action == "statement":
        return lists_service.file_statement(
            session,
            procedure_id,
            actor=actor,
            text=text("text"),
            hearing_requested=text("hearing") in ("1", "on"),
        )
    if action == "decide":
        return lists_service.decide(
            session,
            procedure_id,
            actor=actor,
            outcome=text("outcome"),
            reasons=text("reasons"),
            legal_basis=opt("legal_basis"),
            document_number=opt("document_number"),
            signed_by=opt("signed_by"),
        )
    if action == "publish":
        return lists_service.publish(
            session, procedure_id, actor=actor, document_number=opt("document_number")
        )
    if action == "interview":
        return lists_service.record_interview(
            session, procedure_id, actor=actor, kind=text("kind"), summary=text("text")
        )
    if action == "rectify":
        return lists_service.record_rectification(session, procedure_id, actor=actor, text=text("text"))
    if action == "exit":
        return lists_service.exit_list(
            session,
            procedure_id,
            actor=actor,
            reason=text("reason"),
            text=text("text"),
            document_number=opt("document_number"),
        )
    if action == "withdraw":
        return lists_service.withdraw(session, procedure_id, actor=actor, text=text("text"))
    raise InvalidInput(
        f"Unknown step {action!r}",
        "未知的办理环节",
        code="console.unknown_action",
        field="action",
        value=action,
    )


def list_queue(session: Session, desk: Desk) -> list[QueueItem]:
    return lists_service.queue(session, actor=_actor(desk))


# --- checks and feedback ------------------------------------------------------------------


@dataclass
class MeasuresView:
    stats: FeedbackStats
    checks: CheckPage
    chart: Chart | None
    overdue_only: bool


def _caller(desk: Desk) -> measures_service.Caller:
    return measures_service.Caller(label=desk.label, role=desk.role, department_code=desk.department_code)


def measures_view(session: Session, desk: Desk, *, overdue_only: bool = False) -> MeasuresView:
    caller = _caller(desk)
    stats = measures_service.feedback_stats(session, caller)
    checks = measures_service.list_checks(session, caller, overdue_only=overdue_only, limit=50)
    by_measure: dict[str, list[int]] = {}
    for row in stats.rows:
        name = row.measure_name_zh or row.measure
        agg = by_measure.setdefault(name, [0, 0])
        agg[0] += row.checks_with_measure
        agg[1] += row.feedback
    chart = None
    if by_measure:
        names = sorted(by_measure, key=lambda n: -by_measure[n][0])[:15]
        chart = Chart(
            "hbar",
            "各措施的核查与反馈",
            names,
            [
                Series("核查返回该措施", [float(by_measure[n][0]) for n in names]),
                Series("已反馈", [float(by_measure[n][1]) for n in names]),
            ],
        )
    return MeasuresView(stats=stats, checks=checks, chart=chart, overdue_only=overdue_only)


# --- evaluation distribution ----------------------------------------------------------------


@dataclass
class Distribution:
    run: RunInfo
    shares: list[GradeShare]
    chart: Chart


@dataclass
class EvaluationView:
    distributions: list[Distribution]
    grade_counts: dict[str, int]


def evaluation_view(session: Session) -> EvaluationView:
    """The latest batch run of each model: its grade distribution against the model's target."""
    latest: dict[str, RunInfo] = {}
    for run in evaluation_service.list_runs(session, kind="batch", limit=50):
        if run.model_code not in latest or run.id > latest[run.model_code].id:
            latest[run.model_code] = run
    out = []
    for code in sorted(latest):
        report = evaluation_service.run_report(session, latest[code].id)
        labels = [f"{s.label_zh}（{s.grade}）" for s in report.distribution]
        chart = Chart(
            "bar",
            f"{code} 模型等级分布",
            labels,
            [
                Series("实际占比", [_pct(float(s.share)) for s in report.distribution]),
                Series("目标占比", [_pct(float(s.target)) for s in report.distribution]),
            ],
            "%",
        )
        out.append(Distribution(run=report.run, shares=report.distribution, chart=chart))
    return EvaluationView(distributions=out, grade_counts=evaluation_service.grade_counts(session))


# --- dashboard ------------------------------------------------------------------------------


@dataclass
class Tile:
    label_key: str
    value: int | str
    href: str
    tone: str = ""  # "" | warn | bad


@dataclass
class Dashboard:
    desk: Desk
    tiles: list[Tile]
    metrics: list[DepartmentMetrics]
    charts: list[Chart]
    overdue_procedures: list[QueueItem] = field(default_factory=list)
    today: date = field(default_factory=lambda: lists_service.today_china())
    # From 1 November while next year's State Council holiday notice is not loaded.
    calendar_warning: str | None = None


def dashboard(session: Session, desk: Desk) -> Dashboard:
    """The console's first page: what is waiting, and how the departments submit."""
    own = _own_provider(desk)
    tiles: list[Tile] = []
    quarantine = ingest_service.list_quarantine(session, provider=own, status="open", per_page=1)
    tiles.append(
        Tile(
            "console.tile.quarantine",
            quarantine.total,
            "/console/quarantine",
            "warn" if quarantine.total else "",
        )
    )
    submissions = ingest_service.list_submissions(session, provider_id=own, per_page=1)
    tiles.append(Tile("console.tile.submissions", submissions.total, "/console/ingest"))
    queue = list_queue(session, desk)
    overdue = [q for q in queue if q.overdue]
    tiles.append(Tile("console.tile.lists", len(queue), "/lists/queue"))
    tiles.append(
        Tile("console.tile.lists_overdue", len(overdue), "/lists/queue?overdue=1", "bad" if overdue else "")
    )
    if desk.is_staff:
        report = subjects_service.governance_report(session)
        tiles.append(
            Tile(
                "console.tile.governance",
                report.open_total,
                "/console/governance",
                "warn" if report.open_total else "",
            )
        )
    try:
        stats = measures_service.feedback_stats(session, _caller(desk))
        tiles.append(
            Tile(
                "console.tile.checks_overdue",
                stats.overdue_checks,
                "/console/measures",
                "bad" if stats.overdue_checks else "",
            )
        )
    except DomainError:
        pass
    metrics = department_metrics(session, desk)
    return Dashboard(
        desk=desk,
        tiles=tiles,
        metrics=metrics,
        charts=metrics_charts(metrics),
        overdue_procedures=overdue[:10],
        calendar_warning=_calendar_warning(session),
    )


def _calendar_warning(session: Session) -> str | None:
    warning = work_calendar.missing_notice_warning(
        work_calendar.load_calendar(session), lists_service.today_china()
    )
    return warning[1] if warning else None
