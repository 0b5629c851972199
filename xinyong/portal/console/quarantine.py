"""The quarantine: rows waiting for a correction, the correct-and-resubmit form, discarding (from
``ingest.service``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import CatalogItem
from xinyong.core.errors import NotFound
from xinyong.ingest import service as ingest_service
from xinyong.ingest.service import QuarantineInfo, RowResult, SubmissionResult
from xinyong.portal.console.desk import PER_PAGE, Desk, _own_provider, _require_provider
from xinyong.portal.console.monitor import ProblemRow, _item_names, _provider_names, _text, problem_rows
from xinyong.portal.service import Option, Pager
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

# Quarantine states (ingest): open rows wait for a correction.
QUARANTINE_STATUSES = ("open", "resolved", "superseded", "discarded")
# Form field prefix of a quarantined row's values ("v:<header>"), so a header never collides with
# the form's own fields (csrf_token, note).
VALUE_PREFIX = "v:"


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
