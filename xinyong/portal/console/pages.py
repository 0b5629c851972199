"""Staff console pages (``/console``): for the credit office and administrators (every
department) and providers (their own department's parts). Who may open which page is declared in
``xinyong/accounts/policy.py``; the service narrows the data to the caller's department. Forms
carry the session's CSRF token (checked by the access middleware)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import CurrentPrincipal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import DbSession
from xinyong.core.errors import DomainError, NotFound
from xinyong.core.paging import page_number
from xinyong.core.params import db_id
from xinyong.lists.service import ACTION_ZH
from xinyong.portal.console import service
from xinyong.portal.console.service import Desk
from xinyong.portal.strings import t
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)


# Sections of the console (href, string key, who sees them: "all" console roles or "staff").
SECTIONS = (
    ("/console", "console.nav.dashboard", "all"),
    ("/console/ingest", "console.nav.ingest", "all"),
    ("/console/quarantine", "console.nav.quarantine", "all"),
    ("/console/upload", "console.nav.upload", "provider"),
    ("/console/approvals", "console.nav.approvals", "provider"),
    ("/console/governance", "console.nav.governance", "staff"),
    ("/lists/queue", "console.nav.lists", "all"),
    ("/console/objections", "console.nav.objections", "all"),
    ("/console/repairs", "console.nav.repairs", "all"),
    ("/console/measures", "console.nav.measures", "all"),
    ("/console/commitments", "console.nav.commitments", "all"),
    ("/console/declarations", "console.nav.declarations", "all"),
    ("/console/evaluation", "console.nav.evaluation", "staff"),
    ("/console/quality", "console.nav.quality", "all"),
    ("/console/monitoring", "console.nav.monitoring", "staff"),
    ("/console/government", "console.nav.government", "staff"),
    ("/console/rules", "console.nav.rules", "all"),
    ("/console/reports", "console.nav.reports", "staff"),
    ("/console/content", "console.nav.content", "staff"),
)


def _sections(desk: Desk) -> list[tuple[str, str]]:
    def shown(who: str) -> bool:
        return who == "all" or (who == "staff" and desk.is_staff) or (who == "provider" and desk.is_provider)

    return [(href, key) for href, key, who in SECTIONS if shown(who)]


def _render(
    request: Request, desk: Desk, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    principal = request.scope.get("state", {}).get("principal")
    ctx = {
        "desk": desk,
        "sections": _sections(desk),
        "csrf_token": getattr(principal, "csrf_token", None) or "",
        **context,
    }
    return render(request, template, ctx, status_code, private=True)


def _message(request: Request, desk: Desk, exc: DomainError) -> HTMLResponse:
    """A refused or failed console request, as a page in Chinese (never a JSON error)."""
    return _render(request, desk, "console/message.html", {"message": exc.message_zh}, exc.status_code)


def _desk(session: Session, principal: Principal) -> Desk:
    return service.desk_of(session, principal)


_Answer = TypeVar("_Answer", bound=Response)


class _RefusedPage(Protocol):
    def __call__(self, *, error: str, status_code: int) -> HTMLResponse: ...


@dataclass(frozen=True)
class ConsoleCall:
    """One console request: the request, its database session and who is at the desk (every
    console page answers through these, so a refusal always becomes a page in Chinese)."""

    request: Request
    session: Session
    desk: Desk
    principal: Principal

    def render(self, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        return _render(self.request, self.desk, template, context, status_code)

    def message(self, exc: DomainError) -> HTMLResponse:
        return _message(self.request, self.desk, exc)

    def attempt(self, answer: Callable[[], _Answer]) -> _Answer | HTMLResponse:
        """What ``answer`` makes (a page or a download); a refusal answers as a message page."""
        try:
            return answer()
        except DomainError as exc:
            return self.message(exc)

    def view(
        self,
        template: str,
        build: Callable[[], Any],
        context: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """``template`` with the view ``build`` makes (as ``view``) and ``context``; a refusal
        while building it answers as a message page instead."""
        return self.attempt(lambda: self.render(template, {"view": build(), **(context or {})}, status_code))

    def post(self, act: Callable[[], str], refused: _RefusedPage | None = None) -> Response:
        """A form post: ``act`` does the step and names where to go next (a 303); a refusal rolls
        the session back and answers with the ``refused`` page carrying the message (without
        one, the message page)."""
        try:
            url = act()
        except DomainError as exc:
            self.session.rollback()
            if refused is None:
                return self.message(exc)
            return refused(error=exc.message_zh, status_code=exc.status_code)
        return see_other(url)


def _console_call(request: Request, principal: CurrentPrincipal, session: DbSession) -> ConsoleCall:
    return ConsoleCall(request, session, _desk(session, principal), principal)


AtDesk = Annotated[ConsoleCall, Depends(_console_call)]


async def posted_form(request: Request) -> dict[str, str]:
    """Every text field of a posted form (the correction form's fields are named by the row's headers)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _no_row(at: ConsoleCall) -> HTMLResponse:
    return at.message(NotFound("No such row", "隔离区中没有该条记录"))


def _no_procedure(at: ConsoleCall) -> HTMLResponse:
    return at.message(NotFound("No such procedure", "未找到该名单认定程序"))


# --- dashboard ----------------------------------------------------------------------------


@router.get("/console", response_class=HTMLResponse)
def dashboard(at: AtDesk) -> HTMLResponse:
    return at.view("console/dashboard.html", lambda: service.dashboard(at.session, at.desk))


# --- ingestion monitor --------------------------------------------------------------------


@router.get("/console/ingest", response_class=HTMLResponse)
def ingest(at: AtDesk, provider: str = "", status: str = "", page: str | None = None) -> HTMLResponse:
    return at.view(
        "console/ingest.html",
        lambda: service.ingest_view(
            at.session, at.desk, provider=provider, status=status, page=page_number(page)
        ),
    )


@router.get("/console/submissions/{submission_id}", response_class=HTMLResponse)
def submission(at: AtDesk, submission_id: str, page: str | None = None) -> HTMLResponse:
    return at.view(
        "console/submission.html",
        lambda: service.submission_view(at.session, at.desk, submission_id[:64], page=page_number(page)),
    )


# --- quarantine ---------------------------------------------------------------------------


@router.get("/console/quarantine", response_class=HTMLResponse)
def quarantine(
    at: AtDesk, status: str = "open", provider: str = "", page: str | None = None, done: str = ""
) -> HTMLResponse:
    notice = t("console.quarantine.discarded") if done == "discarded" else None
    return at.view(
        "console/quarantine.html",
        lambda: service.quarantine_view(
            at.session, at.desk, status=status, provider=provider, page=page_number(page)
        ),
        {"notice": notice},
    )


def _quarantine_page(
    at: ConsoleCall,
    quarantine_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    error: str | None = None,
    notice: str | None = None,
    links: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return at.view(
        "console/quarantine_row.html",
        lambda: service.quarantine_detail(at.session, at.desk, quarantine_id, values=values, errors=errors),
        {"error": error, "notice": notice, "links": links or [], "prefix": service.VALUE_PREFIX},
        status_code,
    )


@router.get("/console/quarantine/{quarantine_id}", response_class=HTMLResponse)
def quarantine_row(at: AtDesk, quarantine_id: str, done: str = "", submission: str = "") -> HTMLResponse:
    if db_id(quarantine_id) is None:
        return _no_row(at)
    notice = None
    links: list[tuple[str, str]] = []
    if done == "resubmitted" and submission:
        notice = t("console.quarantine.resubmitted")
        try:
            links = service.resubmitted_links(at.session, at.desk, submission[:64])
        except DomainError:
            links = []
    return _quarantine_page(at, int(quarantine_id), notice=notice, links=links)


@router.post("/console/quarantine/{quarantine_id}/resubmit", response_class=HTMLResponse)
def quarantine_resubmit(
    at: AtDesk, quarantine_id: str, form: dict[str, str] = Depends(posted_form)
) -> Response:
    if db_id(quarantine_id) is None:
        return _no_row(at)
    qid = int(quarantine_id)
    values = service.form_values(form)
    try:
        result = service.resubmit(at.session, at.desk, qid, values)
    except DomainError as exc:
        at.session.rollback()
        errors = exc.details.get("errors") if exc.code == "ingest.still_invalid" else None
        return _quarantine_page(
            at,
            qid,
            values=values,
            errors=list(errors) if isinstance(errors, list) else None,
            error=exc.message_zh,
            status_code=exc.status_code,
        )
    return see_other(f"/console/quarantine/{qid}?done=resubmitted&submission={quote(result.id)}")


@router.post("/console/quarantine/{quarantine_id}/discard", response_class=HTMLResponse)
def quarantine_discard(at: AtDesk, quarantine_id: str, note: str = Form("")) -> Response:
    if db_id(quarantine_id) is None:
        return _no_row(at)
    qid = int(quarantine_id)

    def act() -> str:
        service.discard(at.session, at.desk, qid, note[:2000])
        return "/console/quarantine?done=discarded"

    return at.post(act, partial(_quarantine_page, at, qid))


# --- approvals (待审核) ------------------------------------------------------------------------


def _approvals_page(
    at: ConsoleCall, *, notice: str | None = None, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return at.view(
        "console/approvals.html",
        lambda: service.approvals_view(at.session, at.desk),
        {"notice": notice, "error": error},
        status_code,
    )


@router.get("/console/approvals", response_class=HTMLResponse)
def approvals(at: AtDesk, done: str = "") -> HTMLResponse:
    return _approvals_page(at, notice=t("console.approvals.done") if done == "approved" else None)


@router.post("/console/approvals/{submission_id}/approve", response_class=HTMLResponse)
def approvals_approve(at: AtDesk, submission_id: str) -> Response:
    def act() -> str:
        service.approve(at.session, at.desk, submission_id[:64])
        return "/console/approvals?done=approved"

    return at.post(act, partial(_approvals_page, at))


# --- upload -------------------------------------------------------------------------------


def _upload_page(
    at: ConsoleCall, item: str, submission_id: str = "", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return at.view(
        "console/upload.html",
        lambda: service.upload_view(at.session, at.desk, item=item, submission_id=submission_id),
        {"error": error},
        status_code,
    )


@router.get("/console/upload", response_class=HTMLResponse)
def upload_form(at: AtDesk, item: str = "", submission: str = "") -> HTMLResponse:
    return _upload_page(at, item, submission[:64])


@router.post("/console/upload", response_class=HTMLResponse)
def upload_submit(at: AtDesk, item: str = Form(""), file: UploadFile | None = File(None)) -> Response:
    filename = file.filename if file is not None else None
    try:
        result = service.upload(at.session, at.desk, item, filename, file.file if file is not None else None)
    except DomainError as exc:
        submission_id = exc.details.get("submission_id")
        if isinstance(submission_id, str):
            # The file was refused as a whole; the failed submission keeps the reason.
            return see_other(f"/console/upload?submission={quote(submission_id)}")
        at.session.rollback()
        return _upload_page(at, item, error=exc.message_zh, status_code=exc.status_code)
    return see_other(f"/console/upload?submission={quote(result.id)}")


# --- 重错码 governance ----------------------------------------------------------------------


def _governance_page(
    at: ConsoleCall,
    *,
    status: str = "open",
    kind: str = "",
    page: int = 1,
    notice: str | None = None,
    error: str | None = None,
    error_case: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return at.view(
        "console/governance.html",
        lambda: service.governance_view(at.session, status=status, kind=kind, page=page),
        {"notice": notice, "error": error, "error_case": error_case},
        status_code,
    )


@router.get("/console/governance", response_class=HTMLResponse)
def governance(
    at: AtDesk, status: str = "open", kind: str = "", page: str | None = None, done: str = ""
) -> HTMLResponse:
    notice = t("console.governance.resolved", case=done) if done.isdigit() else None
    return _governance_page(at, status=status, kind=kind, page=page_number(page), notice=notice)


@router.post("/console/governance/{case_id}/resolve", response_class=HTMLResponse)
def governance_resolve(
    at: AtDesk,
    case_id: str,
    resolution: str = Form(""),
    note: str = Form(""),
    target_subject_id: str = Form(""),
    corrected_code: str = Form(""),
) -> Response:
    if db_id(case_id) is None:
        return at.message(NotFound("No such case", "未找到该治理事项"))
    cid = int(case_id)

    def act() -> str:
        service.resolve_case(
            at.session,
            at.desk,
            cid,
            resolution=resolution,
            note=note[:2000],
            target_subject_id=target_subject_id[:20],
            corrected_code=corrected_code[:40],
        )
        return f"/console/governance?done={case_id}"

    return at.post(act, partial(_governance_page, at, error_case=cid))


# --- catalog and rule tables ------------------------------------------------------------------


def _rules_page(
    at: ConsoleCall,
    *,
    notice: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = service.rules_view(at.session)
    context = {"view": view, "notice": notice, "error": error, "values": values or {}}
    return at.render("console/rules.html", context, status_code)


@router.get("/console/rules", response_class=HTMLResponse)
def rules(at: AtDesk, done: str = "", loaded: str = "") -> HTMLResponse:
    notice = t("console.rules.override_added", day=done[:10]) if done else None
    if loaded.isdigit():
        notice = t("console.rules.notice_loaded", year=loaded[:4])
    return _rules_page(at, notice=notice)


@router.post("/console/rules/calendar/notice", response_class=HTMLResponse)
def rules_calendar_notice(at: AtDesk, notice: str = Form("")) -> Response:
    text = notice[:20_000]

    def act() -> str:
        summary = service.load_calendar_notice(at.session, at.desk, text=text)
        return f"/console/rules?loaded={summary.year}#calendar"

    return at.post(act, partial(_rules_page, at, values={"notice": text}))


@router.post("/console/rules/calendar", response_class=HTMLResponse)
def rules_calendar(
    at: AtDesk, day: str = Form(""), kind: str = Form(""), name: str = Form(""), source: str = Form("")
) -> Response:
    values = {"day": day[:10], "kind": kind[:10], "name": name[:100], "source": source[:500]}

    def act() -> str:
        override = service.add_calendar_override(
            at.session, at.desk, day=day[:20], kind=kind, name=name[:200], source=source[:500]
        )
        return f"/console/rules?done={override.day.isoformat()}#calendar"

    return at.post(act, partial(_rules_page, at, values=values))


# --- list procedures: one step at a time ------------------------------------------------------


def _procedure_page(
    at: ConsoleCall,
    procedure_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return at.view(
        "console/procedure.html",
        lambda: service.procedure_page(at.session, at.desk, procedure_id),
        {"notice": notice, "error": error},
        status_code,
    )


@router.get("/console/lists/{procedure_id}", response_class=HTMLResponse)
def procedure(at: AtDesk, procedure_id: str, done: str = "") -> HTMLResponse:
    if db_id(procedure_id) is None:
        return _no_procedure(at)
    notice = t("console.lists.step_done", step=t_action(done)) if done else None
    return _procedure_page(at, int(procedure_id), notice=notice)


def t_action(action: str) -> str:
    return ACTION_ZH.get(action, action)[:20]


@router.post("/console/lists/{procedure_id}/step", response_class=HTMLResponse)
def procedure_step(at: AtDesk, procedure_id: str, form: dict[str, str] = Depends(posted_form)) -> Response:
    if db_id(procedure_id) is None:
        return _no_procedure(at)
    action = (form.get("action") or "")[:20]
    clipped = {k: v[:5000] for k, v in form.items()}
    pid = int(procedure_id)

    def act() -> str:
        service.procedure_step(at.session, at.desk, pid, action, clipped)
        return f"/console/lists/{procedure_id}?done={quote(action)}"

    return at.post(act, partial(_procedure_page, at, pid))


# --- checks and feedback; evaluation ------------------------------------------------------------


@router.get("/console/measures", response_class=HTMLResponse)
def measures(at: AtDesk, overdue: str = "") -> HTMLResponse:
    return at.view(
        "console/measures.html",
        lambda: service.measures_view(at.session, at.desk, overdue_only=overdue in ("1", "on", "true")),
    )


@router.get("/console/evaluation", response_class=HTMLResponse)
def evaluation(at: AtDesk) -> HTMLResponse:
    return at.view("console/evaluation.html", lambda: service.evaluation_view(at.session))
