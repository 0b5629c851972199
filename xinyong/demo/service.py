"""Building the demo city into a store, through the real services.

Subjects and relations go through ``subjects.service``; every record goes through
``ingest.service.submit`` exactly as a department's system would send it (so the demo shows real
submissions, per-provider metrics, late flags and quarantine); then governance detection and the
records tick run. The data come from :mod:`xinyong.demo.generator`, so one seed gives one city.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.core.db import Database
from xinyong.core.errors import Conflict, NotFound
from xinyong.core.settings import get_settings
from xinyong.creditstate import consumer as creditstate_consumer
from xinyong.demo import accounts as demo_accounts
from xinyong.demo import catalog_records as demo_catalog_records
from xinyong.demo import commitments as commitments_demo
from xinyong.demo import content as demo_content
from xinyong.demo import government as government_demo
from xinyong.demo import ledger as demo_ledger
from xinyong.demo import lists as lists_demo
from xinyong.demo import measures as measures_demo
from xinyong.demo import objections as rights_demo
from xinyong.demo import register as demo_register
from xinyong.demo import reports as reports_demo
from xinyong.demo import samples
from xinyong.demo import site as demo_site
from xinyong.demo.generator import RecordSpec, iter_records, iter_subjects, load_city
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service
from xinyong.records import store as records_store
from xinyong.subjects import service as subjects_service

# (stage, done, total): stages are "subjects", "records", "finish".
Progress = Callable[[str, int, int], None]

DEFAULT_SEED = 2026
DEFAULT_SUBJECTS = 3000
# Below this the planted 重错码 cases and the samples have too few subjects to draw from.
MIN_SUBJECTS = 50


@dataclass
class ProviderKey:
    code: str
    name: str
    items: list[str]
    api_key: str | None  # None when the provider already existed (keys are stored hashed)


@dataclass
class DemoSummary:
    seed: int
    subjects: int
    already_built: bool = False
    providers: list[ProviderKey] = field(default_factory=list)
    submissions: int = 0
    rows: int = 0
    rows_created: int = 0
    rows_corrected: int = 0
    rows_withdrawn: int = 0
    rows_rejected: int = 0
    rows_late: int = 0
    governance_cases_opened: int = 0
    publicity_ended: int = 0
    checkpoints: int = 0  # signed at the end of the build
    samples: list[Path] = field(default_factory=list)
    bad_rows_submission_id: str | None = None
    # An API key of the credit office (信用办) for the staff-only endpoints of the tour
    # (governance); None when it already existed (keys are shown once).
    staff_key: str | None = None
    # The regulator key of the demo subscriber (财政局: checks, push, feedback); None when it existed.
    measures_key: str | None = None
    # One portal account per role (accounts domain); the password is the documented demo one.
    accounts: list[demo_accounts.DemoAccount] = field(default_factory=list)
    # The lists in every state (lists domain): what ``seed_lists`` made.
    lists: lists_demo.ListsSeedSummary | None = None
    # Public bodies, government records and notices, quality scorecards (demo/government.py).
    government: government_demo.GovernmentDemo | None = None
    # Objections and repairs in every state (objections and repairs domains).
    rights: rights_demo.RightsSeedSummary | None = None
    # Codes worth looking at in the tour: {"penalised": USCC, "mismatch": USCC, "person": ID number}.
    examples: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def samples_dir() -> Path:
    return get_settings().var_dir / "demo" / "samples"


def receipt_time(day: date) -> datetime:
    """Departments push in office hours (10:00 China time) on the receipt day."""
    return datetime.combine(day, dtime(10, 0), tzinfo=ingest_service.CHINA_TZ)


@contextmanager
def _session_of(target: Database | Session) -> Iterator[Session]:
    if isinstance(target, Session):
        yield target
        target.commit()
    else:
        with target.session() as s:
            yield s


def build_demo(
    target: Database | Session,
    subjects: int = DEFAULT_SUBJECTS,
    seed: int = DEFAULT_SEED,
    out_dir: Path | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
    push_port: int = measures_demo.RECEIVER_PORT,
) -> DemoSummary:
    """Build the demo city with ``subjects`` subjects from ``seed`` into the store.

    Idempotent: a city already built from the same seed is recognised (its bad-rows sample
    submission exists) and left alone; an interrupted build is resumed (every service below is
    idempotent). A store holding other subjects is refused unless ``force`` (which adds the
    city next to them). ``push_port``: where the demo subscriber's webhook listens
    (``xinyong push receive --port``).
    """
    if subjects < MIN_SUBJECTS:
        raise ValueError(f"the demo city needs at least {MIN_SUBJECTS} subjects")
    started = time.monotonic()
    out = out_dir or samples_dir()
    summary = DemoSummary(seed=seed, subjects=subjects, examples=tour_examples(seed, subjects))
    paths = samples.write_samples(seed, subjects, out)
    demo_site.seed_site()  # 信用台州: name, logo, footer (var_dir/site.yaml)
    summary.samples = paths
    bad_rows = out / samples.BAD_ROWS
    with _session_of(target) as session:
        state = _store_state(session, seed, bad_rows)
        if state == "built":  # even with force: building twice never duplicates
            summary.already_built = True
            summary.accounts = _register_accounts(session, summary)  # a store built before accounts
            summary.lists = lists_demo.seed_lists(session, seed=seed)  # a store built before lists
            summary.checkpoints = demo_ledger.finish(session)  # a store built before checkpoints
            summary.seconds = time.monotonic() - started
            return summary
        if state == "foreign" and not force:
            raise Conflict(
                "The store already holds other subjects; use --force to add the demo city anyway",
                "数据库中已有其他主体数据；如仍要加入演示城市，请使用 --force",
                code="demo.store_not_empty",
            )
        summary.providers = _register_providers(session)
        summary.staff_key = _register_staff_key(session)
        session.commit()
        _register_subjects(session, seed, subjects, out, summary, progress)
        _ingest_records(session, seed, subjects, summary, progress)
        for res in demo_catalog_records.seed_catalog_records(session, seed, subjects):
            _count(summary, res)
        res = _ingest_bad_rows(session, bad_rows)
        summary.bad_rows_submission_id = res.id
        _count(summary, res)
        summary.governance_cases_opened = subjects_service.detect_cases(session)
        summary.accounts = _register_accounts(session, summary)
        summary.publicity_ended = records_store.tick(session, records_service.today_china())
        session.commit()
        while creditstate_consumer.process_events(session):
            session.commit()
        summary.lists = lists_demo.seed_lists(session, seed=seed)
        summary.measures_key = measures_demo.seed_subscriber(session, push_port)
        reports_demo.seed_reports(session, summary.examples.get("penalised"))
        commitments_demo.seed_commitments(session, seed=seed, subject_code=summary.examples.get("penalised"))
        demo_content.seed_content(session)  # 通知公告 · 政策法规 · 信用动态
        session.commit()
        summary.rights = rights_demo.seed_rights(session, seed=seed)
        summary.government = government_demo.seed_government(session, seed=seed, receiver_port=push_port)
        summary.checkpoints = demo_ledger.finish(session)
        if progress:
            progress("finish", 1, 1)
    summary.seconds = time.monotonic() - started
    return summary


def tour_examples(seed: int, n: int) -> dict[str, str]:
    """A penalised enterprise, the planted 错码 and a person, for the tour (deterministic)."""
    pool = list(iter_subjects(seed, min(n, 400)))
    by_key = {s.key: s for s in pool}
    out: dict[str, str] = {}
    for s in pool:
        if s.planted == "inner_check_mismatch" and s.uscc:
            out["mismatch"] = s.uscc
        if s.kind == "natural_person" and s.id_number and "person" not in out:
            out["person"] = s.id_number
    # The first enterprises are the ones the planted records name wrongly: skip them.
    skip = set(sorted(s.key for s in pool if s.kind == "enterprise")[:6])
    for rec in iter_records(seed, min(n, 400), subjects=iter(pool)):
        owner = by_key.get(rec.subject_key) if rec.subject_key is not None else None
        if owner is None or owner.key in skip or owner.kind != "enterprise" or not owner.uscc:
            continue
        if rec.item == "administrative_penalty":
            out["penalised"] = owner.uscc
            break
    return out


def _store_state(session: Session, seed: int, bad_rows: Path) -> str:
    """Whether the store is "empty", "built" (this seed's city is complete), "partial" (this seed, interrupted) or
    "foreign" (other subjects)."""
    first = next(iter_subjects(seed, MIN_SUBJECTS))
    code = first.uscc or first.id_number or ""
    ours = subjects_service.find_by_code(session, code) is not None
    if ours:
        digest = samples.sha256_file(bad_rows)
        try:
            provider = ingest_service.get_provider(session, samples.BAD_ROWS_PROVIDER)
        except NotFound:
            return "partial"
        page_no = 1
        while True:
            page = ingest_service.list_submissions(
                session,
                provider_id=provider.id,
                item_code=samples.BAD_ROWS_ITEM,
                status="done",
                page=page_no,
                per_page=500,
            )
            if any(s.content_hash == digest for s in page.items):
                return "built"
            if page_no * page.per_page >= page.total:
                return "partial"
            page_no += 1
    if _any_subject(session):
        return "foreign"
    return "empty"


def _any_subject(session: Session) -> bool:
    return any(
        session.execute(subjects_service.ids_of_kind(kind).limit(1)).first() is not None
        for kind in subjects_service.SUBJECT_KINDS
    )


def _register_providers(session: Session) -> list[ProviderKey]:
    out = []
    for dept in load_city().departments:
        try:
            info = ingest_service.get_provider(session, dept.code)
            out.append(ProviderKey(info.code, info.name, info.items, None))
        except NotFound:
            info, key = ingest_service.create_provider(session, dept.code, dept.name, dept.uscc, dept.items)
            out.append(ProviderKey(info.code, info.name, info.items, key))
    return out


# The credit office of the demo city: it runs the platform (governance queue, reports).
STAFF_DEPARTMENT = ("TZ-XYB", "台州市社会信用体系建设领导小组办公室（市信用办）")
STAFF_KEY_SCOPES = ("subjects:read", "records:read", "governance:read", "governance:write")


def _register_staff_key(session: Session) -> str | None:
    code, name = STAFF_DEPARTMENT
    try:
        accounts_service.create_department(session, code, name, by="demo")
    except Conflict:
        return None  # built before: its key was shown then
    _, key = accounts_service.create_api_key(
        session,
        name="演示城市信用办系统",
        role="credit_office",
        scopes=STAFF_KEY_SCOPES,
        department_code=code,
        by="demo",
    )
    return key


def _register_accounts(session: Session, summary: DemoSummary) -> list[demo_accounts.DemoAccount]:
    """One portal account per role: the credit office's, the 椒江 market-regulation branch's
    (its bad-rows sample sits in the quarantine), a regulator at the city market-regulation
    bureau, a bank, an administrator, and the penalised enterprise of the tour."""
    subject = summary.examples.get("penalised") or next(iter(summary.examples.values()), "")
    return demo_accounts.ensure_demo_accounts(
        session,
        staff_department=STAFF_DEPARTMENT,
        provider_code="TZ-SCJG-JJ",
        regulator_provider_code="TZ-SCJG",
        subject_code=subject,
    )


def _register_subjects(
    session: Session, seed: int, n: int, out: Path, summary: DemoSummary, progress: Progress | None
) -> None:
    """The register files are written, then loaded through ingest (see ``demo.register``)."""
    paths = demo_register.write_register_files(seed, n, out)
    summary.samples += list(paths)
    demo_register.register_outside(session, seed, n)
    for res in demo_register.ingest_register(session, paths, receipt_time(load_city().as_of)):
        _count(summary, res)
    if progress:
        progress("subjects", n, n)


def record_batches(seed: int, n: int) -> list[tuple[date, str, str, list[RecordSpec]]]:
    """The city's records grouped as departments push them: one submission per provider, item
    and receipt day, in receipt order (so corrections arrive after what they correct)."""
    groups: dict[tuple[date, str, str], list[RecordSpec]] = defaultdict(list)
    for rec in iter_records(seed, n):
        groups[(rec.received_on, rec.provider, rec.item)].append(rec)
    return [(k[0], k[1], k[2], v) for k, v in sorted(groups.items())]


def _ingest_records(
    session: Session, seed: int, n: int, summary: DemoSummary, progress: Progress | None
) -> None:
    batches = record_batches(seed, n)
    total = sum(len(b[3]) for b in batches)
    done = 0
    for received_on, provider, item, recs in batches:
        res = ingest_service.submit(
            session,
            provider,
            item,
            [r.values for r in recs],
            channel="api",
            received_at=receipt_time(received_on),
        )
        _count(summary, res)
        done += len(recs)
        if progress:
            progress("records", done, total)


def _count(summary: DemoSummary, res: ingest_service.SubmissionResult) -> None:
    summary.submissions += 1
    summary.rows += res.rows_total
    summary.rows_created += res.rows_created
    summary.rows_corrected += res.rows_corrected
    summary.rows_withdrawn += res.rows_withdrawn
    summary.rows_rejected += res.rows_rejected
    summary.rows_late += res.rows_late


def _ingest_bad_rows(session: Session, path: Path) -> ingest_service.SubmissionResult:
    """The sample with bad rows goes in as a file upload, so the quarantine has something in it."""
    with open(path, "rb") as fh:
        return ingest_service.submit_file(
            session,
            samples.BAD_ROWS_PROVIDER,
            samples.BAD_ROWS_ITEM,
            fh,
            path.name,
            received_at=receipt_time(load_city().as_of),
        )
