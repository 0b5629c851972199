"""What a report says, assembled from the credit state and the records (services only).

Nothing here recomputes a credit fact the state already holds: list memberships and the grade
come from ``creditstate.service``, records from ``records.service`` in the view the report is
issued at. Repaired and expired information is left out as the rules say: a record whose
publicity ended (at its end or by 信用修复, Order 36) or that was withdrawn is no longer in force
and is not shown; a list membership that ended is not shown.

Scope ``full`` (the subject itself, a window, an authorised third party) shows the subject's own
view of its in-force records (public and on-request fields); scope ``public`` shows what anyone
sees (public fields, inside the publicity window, no natural person's penalties).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import DECISION_DATE, DOCUMENT_NUMBER, PENALTY_TYPES, SUBJECT_NAME, CatalogItem
from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import service as evaluation_service
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service
from xinyong.records.schemas import RecordView
from xinyong.reports.rules import KIND_NAMES_ZH, Rules, Section
from xinyong.subjects.common import SubjectView
from xinyong.subjects.kinds import KIND_ZH

# GB/T 4754-2017 industry sections (门类): the subject register keeps the letter.
INDUSTRY_ZH = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRST",
        [
            "农、林、牧、渔业",
            "采矿业",
            "制造业",
            "电力、热力、燃气及水生产和供应业",
            "建筑业",
            "批发和零售业",
            "交通运输、仓储和邮政业",
            "住宿和餐饮业",
            "信息传输、软件和信息技术服务业",
            "金融业",
            "房地产业",
            "租赁和商务服务业",
            "科学研究和技术服务业",
            "水利、环境和公共设施管理业",
            "居民服务、修理和其他服务业",
            "教育",
            "卫生和社会工作",
            "文化、体育和娱乐业",
            "公共管理、社会保障和社会组织",
            "国际组织",
        ],
        strict=True,
    )
)
# Fields that say who the subject is: the report names the subject once, in its heading.
_IDENTITY_FIELDS = {
    SUBJECT_NAME,
    DOCUMENT_NUMBER,
    DECISION_DATE,
    "subject_category",
    "uscc",
    "registration_number",
    "organisation_code",
    "tax_registration_number",
    "institution_certificate_number",
    "social_organisation_number",
    "legal_representative",
    "legal_representative_id_type",
    "legal_representative_id_number",
    "id_type",
    "id_number",
}
_TITLE_FIELDS = ("licence_document_name", "certificate_name", "violation_type", PENALTY_TYPES)
# List memberships the credit state keeps for the lists domain: shown while in these states.
_LISTED = ("listed", "published")
_PAGE = 200


@dataclass
class Entry:
    """One line of a section: a record, a list membership or a fact."""

    title: str
    date: date | None = None
    department: str = ""
    document_number: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SectionContent:
    code: str
    name_zh: str
    entries: list[Entry] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # label, value (registration, grade)
    lines: list[str] = field(default_factory=list)  # advice
    empty_text: str = "未发现相关信息"

    @property
    def count(self) -> int:
        return len(self.entries) + len(self.lines) + (1 if self.facts else 0)


@dataclass
class ReportContent:
    kind: str
    scope: str
    subject: SubjectView
    subject_name: str
    subject_code: str
    kind_zh: str
    as_of: datetime
    sections: list[SectionContent]
    field_code: str | None = None
    field_name_zh: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    found: int = 0
    # The catalog items whose records the report shows (what the query log records).
    item_codes: set[str] = field(default_factory=set)

    @property
    def title(self) -> str:
        return KIND_NAMES_ZH[self.kind]

    @property
    def counts(self) -> dict[str, int]:
        return {s.code: s.count for s in self.sections}

    @property
    def conclusion(self) -> str:
        """The special report's one-sentence answer (the sentence a 无违法违规证明 gave)."""
        if self.kind != "special" or self.period_from is None or self.period_to is None:
            return ""
        span = f"{self.period_from:%Y年%m月%d日}至{self.period_to:%Y年%m月%d日}"
        if self.found == 0:
            return f"经查询，{span}期间，该主体在{self.field_name_zh}领域未发现违法违规记录。"
        return (
            f"经查询，{span}期间，该主体在{self.field_name_zh}领域有违法违规记录 {self.found} 条，详见下表。"
        )


# Sources of extra section entries (section code → functions of session and subject id). The
# commitment procedures (信用承诺 with their fulfilment) and repair marks (信用修复 decisions)
# are built by sibling domains: they add their entries here when the assembly registers them,
# so the report needs no change.
SectionSource = Callable[[Session, int], list[Entry]]
SECTION_SOURCES: dict[str, list[SectionSource]] = {}


def register_section_source(section_code: str, source: SectionSource) -> None:
    SECTION_SOURCES.setdefault(section_code, []).append(source)


# --- records ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "；".join(_text(v) for v in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _display(item: CatalogItem | None, code: str, value: Any) -> tuple[str, str]:
    spec = item.field(code) if item is not None and item.has_field(code) else None
    label = spec.name_zh if spec is not None else code
    if spec is not None and spec.enum:
        labels = {o.code: o.label for o in spec.enum}
        if isinstance(value, list | tuple):
            return label, "；".join(labels.get(_text(v), _text(v)) for v in value)
        return label, labels.get(_text(value), _text(value))
    return label, _text(value)


def record_entry(view: RecordView, items: dict[str, CatalogItem], departments: dict[int, str]) -> Entry:
    item = items.get(view.item_code)
    order = {f.code: i for i, f in enumerate(item.fields)} if item else {}
    shown = {code: _display(item, code, value) for code, value in view.fields.items()}
    rows = [
        shown[code]
        for code in sorted(shown, key=lambda c: order.get(c, 1_000))
        if code not in _IDENTITY_FIELDS and shown[code][1]
    ]
    title = next((shown[c][1] for c in _TITLE_FIELDS if c in shown and shown[c][1]), view.item_name_zh)
    return Entry(
        title=f"{view.item_name_zh}：{title}" if title != view.item_name_zh else title,
        date=view.decision_date,
        department=departments.get(view.provider_id or 0, ""),
        document_number=view.document_number,
        rows=rows,
    )


def subject_records(
    session: Session, subject_id: int, scope: str, item_codes: list[str], today: date
) -> list[RecordView]:
    """The subject's in-force records of ``item_codes`` in the report's view, newest first."""
    if not item_codes:
        return []
    visibility = "subject" if scope == "full" else "public"
    out: list[RecordView] = []
    page = 1
    while True:
        batch = records_service.list_subject_records(
            session,
            subject_id,
            visibility=visibility,
            today=today,
            page=page,
            per_page=_PAGE,
            item_codes=item_codes,
        )
        # The subject's own view lists ended and withdrawn records too: a report leaves them out.
        out.extend(v for v in batch.items if v.status == "in_force")
        if page * _PAGE >= batch.total:
            return out
        page += 1


def _departments(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Provider id → department name, and → department code."""
    providers = ingest_service.list_providers(session)
    return {p.id: p.name for p in providers}, {p.id: p.code for p in providers}


# --- the sections --------------------------------------------------------------------------------


def _registration(subject: SubjectView) -> list[tuple[str, str]]:
    facts = [
        ("主体名称", subject.name),
        ("统一社会信用代码" if subject.uscc else "身份证件号码", subject.code or ""),
        ("主体类型", KIND_ZH.get(subject.kind, subject.kind)),
    ]
    optional = [
        ("曾用名", "；".join(subject.former_names)),
        ("法定代表人（负责人）", subject.legal_representative or ""),
        ("住所", subject.address or ""),
        ("成立日期", subject.registered_on.isoformat() if subject.registered_on else ""),
        (
            "注册资本（万元）",
            _text(subject.registered_capital) if subject.registered_capital is not None else "",
        ),
        ("所属行业", INDUSTRY_ZH.get(subject.industry or "", subject.industry or "")),
    ]
    return facts + [(k, v) for k, v in optional if v]


def _list_entries(memberships: list[dict[str, Any]], codes: list[str], scope: str) -> list[Entry]:
    out = []
    for m in memberships:
        if m.get("list_type") not in codes or m.get("status") not in _LISTED:
            continue
        if scope == "public" and not m.get("published"):
            continue
        rows = [("列入日期", _text(m.get("starts_on"))), ("期满日期", _text(m.get("ends_on")) or "—")]
        if m.get("decision_document"):
            rows.append(("决定文书号", _text(m["decision_document"])))
        out.append(
            Entry(
                title=str(m.get("name_zh") or m.get("list_type")),
                date=date.fromisoformat(m["starts_on"]) if m.get("starts_on") else None,
                department=_text(m.get("department_code")),
                document_number=_text(m.get("decision_document")),
                rows=rows,
            )
        )
    return out


def _grade(session: Session, subject_id: int) -> list[tuple[str, str]]:
    state = creditstate_service.subject_summary(session, subject_id)
    if not state.grade:
        return []
    name = state.grade
    for spec, _ in evaluation_service.get_model_files():
        if spec.code == state.model_code:
            name = next((f"{g.name_zh}（{g.code}）" for g in spec.grades if g.code == state.grade), name)
    facts = [("公共信用综合评价结果", name)]
    if state.evaluated_at is not None:
        facts.append(("评价日期", state.evaluated_at.date().isoformat()))
    return facts


def _advice(rules: Rules, sections: dict[str, SectionContent], negative: int) -> list[str]:
    a = rules.advice
    lines = []
    if negative:
        lines.append(a.negative_records)
    listed = sum(len(sections[c].entries) for c in ("serious_dishonesty", "judicial") if c in sections)
    if listed:
        lines.append(a.lists)
    if "business_anomaly" in sections and sections["business_anomaly"].entries:
        lines.append(a.anomaly)
    if "commitments" in sections and not sections["commitments"].entries:
        lines.append(a.no_commitment)
    if not (negative or listed or sections.get("business_anomaly", SectionContent("", "")).entries):
        lines.insert(0, a.clean)
    return lines


def public_report(
    session: Session, subject: SubjectView, scope: str, rules: Rules, as_of: datetime, today: date
) -> ReportContent:
    """The 公共信用信息报告: the national sections in order, each with its count."""
    items = {i.code: i for i in catalog_service.get_catalog().items()}
    names, _ = _departments(session)
    memberships = creditstate_service.list_membership_entries(session, [subject.id]).get(subject.id, [])
    wanted = sorted({c for s in rules.sections.items for c in s.items})
    records = subject_records(session, subject.id, scope, wanted, today)
    by_item: dict[str, list[RecordView]] = {}
    for r in records:
        by_item.setdefault(r.item_code, []).append(r)
    out: dict[str, SectionContent] = {}
    advice_section: Section | None = None
    negative = 0
    shown: set[str] = set()
    for spec in rules.sections.items:
        content = SectionContent(spec.code, spec.name_zh)
        if spec.advice:
            advice_section = spec
            out[spec.code] = content
            continue
        if spec.registration:
            content.facts = _registration(subject)
        if spec.grade:
            content.facts = _grade(session, subject.id) if scope == "full" else []
        for code in spec.items:
            for view in by_item.get(code, []):
                shown.add(code)
                content.entries.append(record_entry(view, items, names))
                item = items.get(code)
                if item is not None and item.polarity == "negative":
                    negative += 1
        content.entries.extend(_list_entries(memberships, spec.lists, scope))
        for source in SECTION_SOURCES.get(spec.code, []):
            content.entries.extend(source(session, subject.id))
        out[spec.code] = content
    if advice_section is not None:
        out[advice_section.code].lines = _advice(rules, out, negative)
    return ReportContent(
        kind="public",
        scope=scope,
        subject=subject,
        subject_name=subject.name,
        subject_code=subject.code or "",
        kind_zh=KIND_ZH.get(subject.kind, subject.kind),
        as_of=as_of,
        sections=list(out.values()),
        item_codes=shown,
    )


def special_report(
    session: Session,
    subject: SubjectView,
    scope: str,
    rules: Rules,
    field_code: str,
    period_from: date,
    period_to: date,
    as_of: datetime,
    today: date,
) -> ReportContent:
    """The 专项信用报告 of one field over a period: the in-force 违法违规 records of the field's
    items from the field's departments, decided inside the period."""
    spec = rules.field(field_code)
    items = {i.code: i for i in catalog_service.get_catalog().items()}
    names, codes = _departments(session)
    found = []
    for view in subject_records(session, subject.id, scope, list(spec.items), today):
        department = codes.get(view.provider_id or 0, "")
        if not any(fnmatch.fnmatchcase(department, pattern) for pattern in spec.departments):
            continue
        if view.decision_date is None or not period_from <= view.decision_date <= period_to:
            continue
        found.append(record_entry(view, items, names))
    section = SectionContent(
        "violations", f"{spec.name_zh}领域违法违规记录", entries=found, empty_text="未发现违法违规记录"
    )
    registration = SectionContent("registration", "登记注册基础信息", facts=_registration(subject))
    return ReportContent(
        kind="special",
        scope=scope,
        subject=subject,
        subject_name=subject.name,
        subject_code=subject.code or "",
        kind_zh=KIND_ZH.get(subject.kind, subject.kind),
        as_of=as_of,
        sections=[registration, section],
        field_code=spec.code,
        field_name_zh=spec.name_zh,
        period_from=period_from,
        period_to=period_to,
        found=len(found),
        item_codes=set(spec.items) if found else set(),
    )
