"""The ingestion monitor: submissions, their row problems and per-department metrics (from
``ingest.service``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core.errors import NotFound
from xinyong.ingest import service as ingest_service
from xinyong.ingest.service import ProviderMetrics, QuarantineInfo, RowResult, SubmissionResult
from xinyong.portal.console.charts import Chart, Series, _pct
from xinyong.portal.console.desk import PER_PAGE, Desk, _own_provider
from xinyong.portal.service import Option, Pager

ROW_ERRORS_PER_PAGE = 100
SUBMISSION_STATUSES = ("received", "applying", "done", "failed")


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
