"""What each public page shows, assembled from the other domains' services.

Functions take a session and plain values and return plain dataclasses that templates render.
No credit fact is computed here: counts come from the credit state row (records domain), the
public view of records (which fields, which records, never natural persons' penalties) from
``records.service``; the portal only arranges them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from xinyong.access.visibility import Viewer
from xinyong.catalog import service as catalog_service
from xinyong.catalog.service import (
    DECISION_DATE,
    DOCUMENT_NUMBER,
    PENALTY_TYPES,
    SUBJECT_NAME,
    CatalogItem,
    FieldSpec,
)
from xinyong.content import service as content_service
from xinyong.content.schemas import PostSummary
from xinyong.core.errors import DomainError, InvalidInput, NotFound
from xinyong.core.identifiers import check_ric, mask_id_number
from xinyong.core.paging import page_count
from xinyong.core.params import db_id
from xinyong.creditstate import service as creditstate_service
from xinyong.ingest import service as ingest_service
from xinyong.lists.schemas import PublicMember
from xinyong.objections import service as objections_service
from xinyong.portal import subject_file
from xinyong.portal.strings import t
from xinyong.records import service as records_service
from xinyong.records.schemas import RecordView
from xinyong.repairs import service as repairs_service
from xinyong.subjects import service as subjects_service
from xinyong.subjects.common import SubjectView

# Order of the kind filter on the search form (GLOSSARY: subject kinds).
KINDS = ("enterprise", "individual_business", "organisation", "natural_person")
NATURAL_PERSON = "natural_person"
PER_PAGE = 20
MIN_QUERY = 2  # the subjects search needs two characters; say so before asking it
SUGGEST_LIMIT = 8
ENTRIES_PER_SECTION = 50
# Fields already shown in an entry's header line, so the details table does not repeat them.
_HEADER_FIELDS = {SUBJECT_NAME, DOCUMENT_NUMBER, DECISION_DATE}
# Field codes the catalog gives the decision authority and the data-source unit (双公示 standard:
# XK_XKJG / CF_CFJG and XK_LYDW / CF_SJLY).
AUTHORITY_FIELD = "authority"
SOURCE_UNIT_FIELD = "source_unit"
# What an entry is called, first present wins: a licence's decision document name, the type of
# violation a penalty punishes, its penalty types; else the catalog item's name.
_TITLE_FIELDS = ("licence_document_name", "certificate_name", "violation_type", PENALTY_TYPES)
# A national field code such as XK_XDR_MC or CF_NR_FK (shown in the catalog page).
_NATIONAL_CODE = re.compile(r"^(?:[A-Z]{2,4}_[A-Z0-9_]+|BZ|DFBM|SJC)$")


# --- shared pieces ---------------------------------------------------------------------------


@dataclass
class Pager:
    page: int
    pages: int
    total: int

    @classmethod
    def of(cls, total: int, page: int, per_page: int) -> Pager:
        return cls(page=page, pages=page_count(total, per_page), total=total)


@dataclass
class SubjectLink:
    """How a page names and links a subject."""

    name: str
    href: str
    display_code: str  # the USCC, or a masked ID number; never a full ID number
    kind: str


def subject_href(uscc: str | None, subject_id: int) -> str:
    # Natural persons have no public code: their full ID number never appears in a URL.
    return f"/subjects/{uscc}" if uscc else f"/subjects/id/{subject_id}"


def member_href(member: PublicMember) -> str:
    """A list entry's link to the subject's public page (a person's by id: no code in the URL)."""
    return subject_href(
        member.subject_code if member.subject_kind != NATURAL_PERSON else None, member.subject_id
    )


def public_name(name: str, kind: str) -> str:
    """Natural persons' names are de-identified on public pages （《深圳经济特区社会信用条例》第三十八条）."""
    return records_service.public_person_name(name) if kind == NATURAL_PERSON else name


def _link(subject_id: int, uscc: str | None, masked: str | None, name: str, kind: str) -> SubjectLink:
    return SubjectLink(
        name=public_name(name, kind),
        href=subject_href(uscc, subject_id),
        display_code=uscc or masked or "",
        kind=kind,
    )


def _double_publicity_items() -> list[CatalogItem]:
    return [i for i in catalog_service.get_catalog().items() if i.double_publicity]


def _publicity_categories() -> tuple[list[str], list[str]]:
    """(licence-like categories, penalty-like categories) of the 双公示 catalog items."""
    positive: list[str] = []
    negative: list[str] = []
    for item in _double_publicity_items():
        target = negative if item.polarity == "negative" else positive
        if item.category not in target:
            target.append(item.category)
    return positive, negative


def _provider_names(session: Session) -> dict[int, str]:
    return {p.id: p.name for p in ingest_service.list_providers(session)}


# --- home ------------------------------------------------------------------------------------


@dataclass
class Stat:
    label_key: str
    value: int


@dataclass
class HomeView:
    stats: list[Stat]
    kinds: tuple[str, ...] = KINDS
    latest: list[PostSummary] = field(default_factory=list)  # 通知公告 · 政策法规 · 信用动态


def home_view(session: Session, today: date | None = None) -> HomeView:
    today = today or records_service.today_china()
    positive, negative = _publicity_categories()
    by_category = records_service.publicity_counts(session, today=today)
    stats = [
        Stat("home.stats.licences", sum(by_category.get(c, 0) for c in positive)),
        Stat("home.stats.penalties", sum(by_category.get(c, 0) for c in negative)),
        Stat("home.stats.providers", len(ingest_service.list_providers(session))),
        Stat("home.stats.catalog_items", len(catalog_service.get_catalog().items())),
    ]
    return HomeView(stats=stats, latest=content_service.latest(session, 6))


# --- search ----------------------------------------------------------------------------------


@dataclass
class Fact:
    text: str
    tone: str  # ok | bad | info


@dataclass
class SearchResult:
    link: SubjectLink
    status: str
    division_code: str | None
    former_name: str | None  # set when the hit came through a former name
    facts: list[Fact]


@dataclass
class SearchView:
    q: str  # what the search box shows again (empty after an ID-number query)
    kind: str
    message_key: str | None  # a prompt or error instead of results
    results: list[SearchResult] = field(default_factory=list)
    pager: Pager = field(default_factory=lambda: Pager(1, 1, 0))
    kinds: tuple[str, ...] = KINDS
    shown_q: str = ""  # the query as the page names it (an ID number only masked)


def normalise_kind(kind: str | None) -> str:
    return kind if kind in KINDS else ""


def search_view(
    session: Session, q: str, kind: str | None, page: int, per_page: int = PER_PAGE
) -> SearchView:
    q = (q or "").strip()[:100]
    kind = normalise_kind(kind)
    view = SearchView(q=q, kind=kind, message_key=None, shown_q=q)
    if check_ric(q).valid:
        # A full ID number is never written back into a page (PIPL): name it masked only.
        view.q, view.shown_q = "", mask_id_number(q)
    if not q:
        view.message_key = "search.prompt"
        return view
    if len(q) < MIN_QUERY:
        view.message_key = "search.too_short"
        return view
    try:
        found = subjects_service.search(
            session, q, kind=kind or None, page=max(page, 1), per_page=per_page, public=True
        )
    except InvalidInput:
        view.message_key = "search.too_short"
        return view
    positive, negative = _publicity_categories()
    for hit in found.items:
        s = hit.subject
        counts = creditstate_service.subject_summary(session, s.id).counts
        licences = sum(counts.get(c, 0) for c in positive)
        penalties = sum(counts.get(c, 0) for c in negative)
        facts: list[Fact] = []
        if licences:
            facts.append(Fact(t("search.result.licences", n=licences), "ok"))
        # Natural persons' penalties are never shown publicly, not even as a count.
        if penalties and s.kind != NATURAL_PERSON:
            facts.append(Fact(t("search.result.penalties", n=penalties), "bad"))
        former = hit.matched_name if hit.matched_name and hit.matched_name != s.name else None
        view.results.append(
            SearchResult(
                link=_link(s.id, s.uscc, s.id_number_masked, s.name, s.kind),
                status=hit.status,
                division_code=hit.division_code,
                former_name=public_name(former, s.kind) if former else None,
                facts=facts,
            )
        )
    view.pager = Pager.of(found.total, found.page, per_page)
    return view


@dataclass
class SuggestView:
    q: str
    kind: str
    total: int
    items: list[SubjectLink]


def suggest_view(session: Session, q: str, kind: str | None) -> SuggestView:
    q = (q or "").strip()[:100]
    kind = normalise_kind(kind)
    if len(q) < MIN_QUERY:
        return SuggestView(q=q, kind=kind, total=0, items=[])
    try:
        found = subjects_service.search(
            session, q, kind=kind or None, page=1, per_page=SUGGEST_LIMIT, public=True
        )
    except InvalidInput:
        return SuggestView(q=q, kind=kind, total=0, items=[])
    items = [
        _link(h.subject.id, h.subject.uscc, h.subject.id_number_masked, h.subject.name, h.subject.kind)
        for h in found.items
    ]
    return SuggestView(q=q, kind=kind, total=found.total, items=items)


# --- subject page ----------------------------------------------------------------------------


@dataclass
class FieldRow:
    label: str
    value: str


@dataclass
class Entry:
    """One public record on a subject page or in the publicity list."""

    id: int
    item_name: str
    category: str
    polarity: str
    title: str
    document_number: str
    decision_date: date | None
    authority: str | None  # the deciding department as written in the decision
    source: str | None  # the department that submitted it to the platform
    severity: str | None
    publicity_end: date | None
    rows: list[FieldRow]
    subject: SubjectLink | None = None
    # Outside the public view a page also lists ended and withdrawn records (the subject's own file).
    status: str = "in_force"
    marks: list[str] = field(default_factory=list)  # 异议中 / 已修复 / 经核实


@dataclass
class Section:
    key: str  # anchor and heading key
    title: str
    entries: list[Entry]
    total: int
    empty_key: str


@dataclass
class RelationRow:
    role: str
    incoming: bool  # this subject holds ``role`` towards the other one (e.g. a person's company)
    other: SubjectLink
    since: date | None
    until: date | None


@dataclass
class SubjectPage:
    subject: SubjectView
    name: str
    display_code: str
    former_names: list[str]
    sections: list[Section]
    relations: list[RelationRow]
    is_person: bool
    # The view the page was built for (records.visibility) and what it returned (for the query log).
    visibility: str = "public"
    item_codes: list[str] = field(default_factory=list)
    record_count: int = 0
    memberships: list[subject_file.MembershipRow] = field(default_factory=list)
    grade: subject_file.PublicGrade | None = None
    # 异议中 / 已修复 marks by record id, and the records whose disclosure an objection suspended
    # (their content is withheld from the public view while it is checked).
    marks: dict[int, str] = field(default_factory=dict)
    withheld: set[int] = field(default_factory=set)


def find_subject(session: Session, *, code: str | None = None, subject_id: int | None = None) -> SubjectView:
    """The subject a page asks for (following a governance merge); ``NotFound`` otherwise."""
    if subject_id is not None:
        subject = subjects_service.get_subject(session, subject_id)
    else:
        subject = subjects_service.get_by_code(session, (code or "").strip())
    if subject is None:
        raise NotFound("Subject not found", "未找到该信用主体", code="subject.not_found", value=code)
    seen = {subject.id}
    while subject.merged_into_id is not None and subject.merged_into_id not in seen:
        seen.add(subject.merged_into_id)
        subject = subjects_service.get_subject(session, subject.merged_into_id)
    return subject


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "；".join(_str(v) for v in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _display(spec: FieldSpec | None, value: Any) -> str:
    """A field value as a person reads it: enumeration codes become their labels (许可类别 01 → 普通)."""
    if spec is not None and spec.enum:
        labels = {o.code: o.label for o in spec.enum}
        if isinstance(value, list | tuple):
            return "；".join(labels.get(_str(v), _str(v)) for v in value)
        return labels.get(_str(value), _str(value))
    return _str(value)


def _entry(
    view: RecordView,
    items: dict[str, CatalogItem],
    providers: dict[int, str],
    provider_id: int | None,
    subject: SubjectLink | None = None,
) -> Entry:
    item = items.get(view.item_code)
    specs = {f.code: f for f in item.fields} if item else {}
    order = {f.code: i for i, f in enumerate(item.fields)} if item else {}
    shown = {code: _display(specs.get(code), value) for code, value in view.fields.items()}
    rows = [
        FieldRow(specs[code].name_zh if code in specs else code, text)
        for code, text in sorted(shown.items(), key=lambda kv: order.get(kv[0], 1_000))
        if code not in _HEADER_FIELDS and text
    ]
    title = next((shown[c] for c in _TITLE_FIELDS if shown.get(c)), "")
    source = providers.get(provider_id) if provider_id is not None else None
    return Entry(
        id=view.id,
        item_name=view.item_name_zh,
        category=view.category,
        polarity=item.polarity if item else "neutral",
        title=title or view.item_name_zh,
        document_number=view.document_number,
        decision_date=view.decision_date,
        authority=_str(view.fields.get(AUTHORITY_FIELD)) or None,
        source=source or _str(view.fields.get(SOURCE_UNIT_FIELD)) or None,
        severity=view.severity if item is not None and item.polarity == "negative" else None,
        publicity_end=view.publicity_end,
        rows=rows,
        subject=subject,
        status=view.status,
    )


def display_value(spec: FieldSpec | None, value: Any) -> str:
    """A field value as a person reads it (enumeration codes become their labels)."""
    return _display(spec, value)


def entry_of(view: RecordView, items: dict[str, CatalogItem], providers: dict[int, str]) -> Entry:
    """One record as the pages show it (title, department, dates, visible fields)."""
    return _entry(view, items, providers, view.provider_id)


def subject_page(
    session: Session,
    *,
    code: str | None = None,
    subject_id: int | None = None,
    today: date | None = None,
    viewer: Viewer | None = None,
    id_number: str | None = None,
) -> SubjectPage:
    """A subject's page in the view ``viewer`` (default: public). Outside the public view the
    page shows full names, natural persons' penalties and the other catalog items too, as
    ``records.visibility`` allows; ``id_number``: the full number, when the caller may see it."""
    subject = find_subject(session, code=code, subject_id=subject_id)
    viewer = viewer or Viewer("public")
    public = viewer.public
    today = today or records_service.today_china()
    items = {i.code: i for i in catalog_service.get_catalog().items()}
    providers = _provider_names(session)
    positive, negative = _publicity_categories()
    is_person = subject.kind == NATURAL_PERSON
    sections: list[Section] = []
    plan = [("licences", positive, "subject.licences.empty")]
    # Natural persons' penalties are not public: the section is not even offered.
    if not is_person or not public:
        plan.append(("penalties", negative, "subject.penalties.empty"))
    for key, codes in subject_file.FILE_SECTIONS:
        cats = list(dict.fromkeys(items[c].category for c in codes if c in items))
        plan.append((key, cats, f"subject.{key}.empty"))
    if not public:
        planned = {c for _, cats, _ in plan for c in cats}
        others = sorted({i.category for i in items.values()} - planned)
        plan.append(("other_records", others, "subject.other_records.empty"))
    returned: set[str] = set()
    count = 0
    for key, categories, empty_key in plan:
        entries: list[Entry] = []
        total = 0
        for category in categories:
            page = records_service.list_subject_records(
                session,
                subject.id,
                visibility=viewer,
                today=today,
                category=category,
                per_page=ENTRIES_PER_SECTION,
            )
            views = page.items
            if public:
                # Only a verified self-declaration is public (经核实); the others are the subject's.
                views = [v for v in views if _declaration_shown(v)]
                total -= len(page.items) - len(views)
            returned.update(v.item_code for v in views)
            count += len(views)
            total += page.total
            for v in views:
                entry = _entry(v, items, providers, v.provider_id)
                if v.item_code == subject_file.DECLARATION_ITEM and _declaration_verified(v):
                    entry.marks.append(subject_file.verified_mark())
                entries.append(entry)
        entries.sort(key=lambda e: (e.decision_date or date.min, e.id), reverse=True)
        sections.append(Section(key, t(f"subject.{key}"), entries, total, empty_key))
    relations = [
        RelationRow(
            role=r.role,
            incoming=r.direction == "incoming",
            other=_link(r.other.id, r.other.uscc, r.other.id_number_masked, r.other.name, r.other.kind),
            since=r.since,
            until=r.until,
        )
        for r in subjects_service.list_relations(session, subject.id)
        if r.other.merged_into_id is None
    ]
    shown_name = public_name if public else (lambda name, _kind: name)
    record_ids = [e.id for sec in sections for e in sec.entries]
    objection_marks = objections_service.objection_marks(session, record_ids)
    marks = {
        **repairs_service.repair_marks(session, record_ids),
        **{i: m.label_zh for i, m in objection_marks.items()},
    }
    withheld = {i for i, m in objection_marks.items() if m.suspended} if public else set()
    return SubjectPage(
        subject=subject,
        name=shown_name(subject.name, subject.kind),
        display_code=id_number or subject.uscc or subject.id_number_masked or "",
        former_names=[shown_name(n, subject.kind) for n in subject.former_names if n != subject.name],
        sections=sections,
        relations=relations,
        is_person=is_person,
        visibility=viewer.visibility,
        item_codes=sorted(returned),
        record_count=count,
        memberships=subject_file.memberships(session, subject.id),
        grade=subject_file.public_grade(session, subject.id),
        marks=marks,
        withheld=withheld,
    )


def _declaration_verified(view: RecordView) -> bool:
    return view.fields.get(subject_file.VERIFICATION_FIELD) == subject_file.VERIFIED


def _declaration_shown(view: RecordView) -> bool:
    return view.item_code != subject_file.DECLARATION_ITEM or _declaration_verified(view)


# --- publicity browse ------------------------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str


@dataclass
class PublicityView:
    q: str
    item: str
    provider: str
    date_from: str
    date_to: str
    items: list[Option]
    providers: list[Option]
    entries: list[Entry]
    pager: Pager
    warnings: list[str]


def parse_date(value: str | None) -> date | None:
    """A YYYY-MM-DD date from a form field, or None when absent; ValueError when malformed."""
    value = (value or "").strip()
    return date.fromisoformat(value) if value else None


# A keyword names subjects (name fragment or code prefix); the list shows the records of at most
# this many of them, the best matches first (a page says so when there are more).
KEYWORD_SUBJECTS = 100


def _keyword_subjects(session: Session, q: str, warnings: list[str]) -> list[int] | None:
    q = q.strip()
    if not q:
        return None
    try:
        found = subjects_service.search(session, q, page=1, per_page=KEYWORD_SUBJECTS)
    except DomainError as exc:
        warnings.append(exc.message_zh)
        return None
    if found.total > KEYWORD_SUBJECTS:
        warnings.append(t("publicity.q.many", total=found.total, shown=KEYWORD_SUBJECTS))
    return [hit.subject.id for hit in found.items]


def publicity_view(
    session: Session,
    *,
    q: str = "",
    item: str | None,
    provider: str | None,
    date_from: str | None,
    date_to: str | None,
    page: int,
    per_page: int = PER_PAGE,
    today: date | None = None,
) -> PublicityView:
    today = today or records_service.today_china()
    dp_items = _double_publicity_items()
    item_codes = {i.code for i in dp_items}
    providers = _provider_names(session)
    item = item if item in item_codes else ""
    provider_id = db_id(provider or "")
    if provider_id not in providers:
        provider_id = None
    warnings: list[str] = []
    dates: dict[str, date | None] = {}
    for key, raw in (("from", date_from), ("to", date_to)):
        try:
            dates[key] = parse_date(raw)
        except ValueError:
            dates[key] = None
            warnings.append(t("publicity.bad_date", value=raw or ""))
    subject_ids = _keyword_subjects(session, q, warnings)
    found = records_service.list_publicity(
        session,
        item_codes=[item] if item else sorted(item_codes),
        provider_id=provider_id,
        date_from=dates["from"],
        date_to=dates["to"],
        subject_ids=subject_ids,
        today=today,
        page=max(page, 1),
        per_page=per_page,
    )
    catalog_items = {i.code: i for i in dp_items}
    links: dict[int, SubjectLink] = {}
    entries: list[Entry] = []
    for view in found.items:
        sid = view.subject_id
        link = None
        if sid is not None:
            if sid not in links:
                s = subjects_service.get_subject(session, sid)
                links[sid] = _link(s.id, s.uscc, s.id_number_masked, s.name, s.kind)
            link = links[sid]
        entries.append(_entry(view, catalog_items, providers, view.provider_id, link))
    return PublicityView(
        q=q.strip() if subject_ids is not None else "",
        item=item,
        provider=str(provider_id) if provider_id is not None else "",
        date_from=dates["from"].isoformat() if dates["from"] else "",
        date_to=dates["to"].isoformat() if dates["to"] else "",
        items=[Option(i.code, i.name_zh) for i in dp_items],
        providers=[Option(str(pid), name) for pid, name in sorted(providers.items(), key=lambda kv: kv[1])],
        entries=entries,
        pager=Pager.of(found.total, found.page, per_page),
        warnings=warnings,
    )


# --- catalog ---------------------------------------------------------------------------------


@dataclass
class CatalogFieldRow:
    name: str
    national_codes: list[str]
    type: str
    required: bool
    disclosure: str


@dataclass
class CatalogItemView:
    code: str
    name: str
    category: str
    polarity: str
    double_publicity: bool
    update_frequency: str
    effective_from: date
    source: str
    fields: list[CatalogFieldRow]


def catalog_view() -> list[CatalogItemView]:
    return [
        CatalogItemView(
            code=i.code,
            name=i.name_zh,
            category=i.category,
            polarity=i.polarity,
            double_publicity=i.double_publicity,
            update_frequency=i.update_frequency,
            effective_from=i.effective_from,
            source=i.source,
            fields=[
                CatalogFieldRow(
                    name=f.name_zh,
                    national_codes=[a for a in f.aliases if _NATIONAL_CODE.match(a)],
                    type=f.type,
                    required=f.required,
                    disclosure=f.disclosure,
                )
                for f in i.fields
            ],
        )
        for i in catalog_service.get_catalog().items()
    ]


def catalog_template(item_code: str) -> tuple[str, bytes]:
    """(file name, XLSX bytes) of an item's upload template; ``NotFound`` for an unknown item."""
    item = catalog_service.get_catalog().item(item_code)
    return f"{item.code}_template.xlsx", catalog_service.xlsx_template(item.code)


# --- 双公示 export -----------------------------------------------------------------------------

# At most this many rows in one export (a larger file is refused by nobody, but it is no longer
# "what is shown": the sheet's last row says to narrow the filters).
EXPORT_MAX_ROWS = 10_000
_EXPORT_PAGE = 200
# A cell a spreadsheet would run as a formula (CSV/formula injection): shown as text instead.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """``value`` as it should go into a cell: text starting like a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def publicity_export(
    session: Session,
    *,
    q: str = "",
    item: str | None,
    provider: str | None,
    date_from: str | None,
    date_to: str | None,
    today: date | None = None,
) -> bytes:
    """The XLSX of the 双公示 list under the same filters as the page (every page of it, up to
    :data:`EXPORT_MAX_ROWS` rows)."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("publicity.export.sheet")
    sheet.append(
        [
            t("publicity.col.date"),
            t("publicity.col.subject"),
            t("publicity.col.code"),
            t("publicity.col.item"),
            t("publicity.col.document"),
            t("publicity.col.summary"),
            t("publicity.col.department"),
            t("publicity.col.severity"),
            t("publicity.col.publicity_end"),
        ]
    )
    written, page = 0, 1
    while written < EXPORT_MAX_ROWS:
        view = publicity_view(
            session,
            q=q,
            item=item,
            provider=provider,
            date_from=date_from,
            date_to=date_to,
            page=page,
            per_page=_EXPORT_PAGE,
            today=today,
        )
        for e in view.entries[: EXPORT_MAX_ROWS - written]:
            department = " / ".join(x for x in (e.authority, e.source) if x)
            row = [
                e.decision_date.isoformat() if e.decision_date else "",
                e.subject.name if e.subject else "",
                e.subject.display_code if e.subject else "",
                e.item_name,
                e.document_number,
                e.title,
                department,
                t(f"severity.{e.severity}") if e.severity else "",
                e.publicity_end.isoformat() if e.publicity_end else "",
            ]
            sheet.append([neutralise_cell(v) for v in row])
            written += 1
        if page >= view.pager.pages or not view.entries:
            break
        page += 1
    else:
        sheet.append([t("publicity.export.truncated", n=EXPORT_MAX_ROWS)])
    for column, width in zip("ABCDEFGHI", (12, 30, 22, 12, 28, 40, 36, 10, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
