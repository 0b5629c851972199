"""Staff console pages (``/console``): for the credit office and administrators (every
department) and providers (their own department's parts). Who may open which page is declared in
``xinyong/accounts/policy.py``; the service narrows the data to the caller's department. Forms
carry the session's CSRF token (checked by the access middleware)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import DomainError, NotFound
from xinyong.core.paging import page_number
from xinyong.core.params import db_id
from xinyong.lists.service import ACTION_ZH
from xinyong.portal.console import service
from xinyong.portal.console.service import Desk
from xinyong.portal.strings import t
from xinyong.portal.templating import render

router = APIRouter(include_in_schema=False)

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
DbSession = Annotated[Session, Depends(get_session, scope="function")]

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


def _view_or_message(
    request: Request,
    desk: Desk,
    template: str,
    build: Callable[[], Any],
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """``template`` with the view ``build`` makes (as ``view``) and ``context``; a refusal while
    building it answers as a message page instead."""
    try:
        view = build()
    except DomainError as exc:
        return _message(request, desk, exc)
    return _render(request, desk, template, {"view": view, **context}, status_code)


def _view_page(
    request: Request,
    session: Session,
    principal: Principal,
    template: str,
    build: Callable[[Desk], Any],
    **context: Any,
) -> HTMLResponse:
    """A console page showing the view ``build`` makes for the caller's desk (a refusal as a message page)."""
    desk = _desk(session, principal)
    return _view_or_message(request, desk, template, lambda: build(desk), context)


async def posted_form(request: Request) -> dict[str, str]:
    """Every text field of a posted form (the correction form's fields are named by the row's headers)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class _RefusedPage(Protocol):
    def __call__(self, *, error: str, status_code: int) -> HTMLResponse: ...


def _post_step(session: Session, act: Callable[[], str], refused: _RefusedPage) -> Response:
    """A form post: ``act`` does the step and names where to go next (a 303); a refusal rolls the
    session back and answers with the ``refused`` page carrying the message."""
    try:
        url = act()
    except DomainError as exc:
        session.rollback()
        return refused(error=exc.message_zh, status_code=exc.status_code)
    return _see_other(url)


def _no_row(request: Request, desk: Desk) -> HTMLResponse:
    return _message(request, desk, NotFound("No such row", "隔离区中没有该条记录"))


def _no_procedure(request: Request, desk: Desk) -> HTMLResponse:
    return _message(request, desk, NotFound("No such procedure", "未找到该名单认定程序"))


# --- dashboard ----------------------------------------------------------------------------


@router.get("/console", response_class=HTMLResponse)
def dashboard(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
) -> HTMLResponse:
    return _view_page(
        request, session, principal, "console/dashboard.html", lambda desk: service.dashboard(session, desk)
    )


# --- ingestion monitor --------------------------------------------------------------------


@router.get("/console/ingest", response_class=HTMLResponse)
def ingest(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    provider: str = "",
    status: str = "",
    page: str | None = None,
) -> HTMLResponse:
    return _view_page(
        request,
        session,
        principal,
        "console/ingest.html",
        lambda desk: service.ingest_view(
            session, desk, provider=provider, status=status, page=page_number(page)
        ),
    )


@router.get("/console/submissions/{submission_id}", response_class=HTMLResponse)
def submission(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    submission_id: str,
    page: str | None = None,
) -> HTMLResponse:
    return _view_page(
        request,
        session,
        principal,
        "console/submission.html",
        lambda desk: service.submission_view(session, desk, submission_id[:64], page=page_number(page)),
    )


# --- quarantine ---------------------------------------------------------------------------


@router.get("/console/quarantine", response_class=HTMLResponse)
def quarantine(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    status: str = "open",
    provider: str = "",
    page: str | None = None,
    done: str = "",
) -> HTMLResponse:
    notice = t("console.quarantine.discarded") if done == "discarded" else None
    return _view_page(
        request,
        session,
        principal,
        "console/quarantine.html",
        lambda desk: service.quarantine_view(
            session, desk, status=status, provider=provider, page=page_number(page)
        ),
        notice=notice,
    )


def _quarantine_page(
    request: Request,
    session: Session,
    desk: Desk,
    quarantine_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    error: str | None = None,
    notice: str | None = None,
    links: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _view_or_message(
        request,
        desk,
        "console/quarantine_row.html",
        lambda: service.quarantine_detail(session, desk, quarantine_id, values=values, errors=errors),
        {
            "error": error,
            "notice": notice,
            "links": links or [],
            "prefix": service.VALUE_PREFIX,
        },
        status_code,
    )


@router.get("/console/quarantine/{quarantine_id}", response_class=HTMLResponse)
def quarantine_row(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    quarantine_id: str,
    done: str = "",
    submission: str = "",
) -> HTMLResponse:
    desk = _desk(session, principal)
    if db_id(quarantine_id) is None:
        return _no_row(request, desk)
    notice = None
    links: list[tuple[str, str]] = []
    if done == "resubmitted" and submission:
        notice = t("console.quarantine.resubmitted")
        try:
            links = service.resubmitted_links(session, desk, submission[:64])
        except DomainError:
            links = []
    return _quarantine_page(request, session, desk, int(quarantine_id), notice=notice, links=links)


@router.post("/console/quarantine/{quarantine_id}/resubmit", response_class=HTMLResponse)
def quarantine_resubmit(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    quarantine_id: str,
    form: dict[str, str] = Depends(posted_form),
) -> Response:
    desk = _desk(session, principal)
    if db_id(quarantine_id) is None:
        return _no_row(request, desk)
    qid = int(quarantine_id)
    values = service.form_values(form)
    try:
        result = service.resubmit(session, desk, qid, values)
    except DomainError as exc:
        session.rollback()
        errors = exc.details.get("errors") if exc.code == "ingest.still_invalid" else None
        return _quarantine_page(
            request,
            session,
            desk,
            qid,
            values=values,
            errors=list(errors) if isinstance(errors, list) else None,
            error=exc.message_zh,
            status_code=exc.status_code,
        )
    return _see_other(f"/console/quarantine/{qid}?done=resubmitted&submission={quote(result.id)}")


@router.post("/console/quarantine/{quarantine_id}/discard", response_class=HTMLResponse)
def quarantine_discard(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    quarantine_id: str,
    note: str = Form(""),
) -> Response:
    desk = _desk(session, principal)
    if db_id(quarantine_id) is None:
        return _no_row(request, desk)
    qid = int(quarantine_id)

    def act() -> str:
        service.discard(session, desk, qid, note[:2000])
        return "/console/quarantine?done=discarded"

    return _post_step(session, act, partial(_quarantine_page, request, session, desk, qid))


# --- approvals (待审核) ------------------------------------------------------------------------


@router.get("/console/approvals", response_class=HTMLResponse)
def approvals(
    request: Request, principal: CurrentPrincipal, session: DbSession, done: str = ""
) -> HTMLResponse:
    notice = t("console.approvals.done") if done == "approved" else None
    return _view_page(
        request,
        session,
        principal,
        "console/approvals.html",
        lambda desk: service.approvals_view(session, desk),
        notice=notice,
        error=None,
    )


@router.post("/console/approvals/{submission_id}/approve", response_class=HTMLResponse)
def approvals_approve(
    request: Request, principal: CurrentPrincipal, session: DbSession, submission_id: str
) -> Response:
    desk = _desk(session, principal)

    def act() -> str:
        service.approve(session, desk, submission_id[:64])
        return "/console/approvals?done=approved"

    def refused(*, error: str, status_code: int) -> HTMLResponse:
        return _view_or_message(
            request,
            desk,
            "console/approvals.html",
            lambda: service.approvals_view(session, desk),
            {"error": error, "notice": None},
            status_code,
        )

    return _post_step(session, act, refused)


# --- upload -------------------------------------------------------------------------------


@router.get("/console/upload", response_class=HTMLResponse)
def upload_form(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    item: str = "",
    submission: str = "",
) -> HTMLResponse:
    return _view_page(
        request,
        session,
        principal,
        "console/upload.html",
        lambda desk: service.upload_view(session, desk, item=item, submission_id=submission[:64]),
        error=None,
    )


@router.post("/console/upload", response_class=HTMLResponse)
def upload_submit(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    item: str = Form(""),
    file: UploadFile | None = File(None),
) -> Response:
    desk = _desk(session, principal)
    filename = file.filename if file is not None else None
    try:
        result = service.upload(session, desk, item, filename, file.file if file is not None else None)
    except DomainError as exc:
        submission_id = exc.details.get("submission_id")
        if isinstance(submission_id, str):
            # The file was refused as a whole; the failed submission keeps the reason.
            return _see_other(f"/console/upload?submission={quote(submission_id)}")
        session.rollback()
        return _view_or_message(
            request,
            desk,
            "console/upload.html",
            lambda: service.upload_view(session, desk, item=item),
            {"error": exc.message_zh},
            exc.status_code,
        )
    return _see_other(f"/console/upload?submission={quote(result.id)}")


# --- 重错码 governance ----------------------------------------------------------------------


def _governance_page(
    request: Request,
    session: Session,
    desk: Desk,
    *,
    status: str = "open",
    kind: str = "",
    page: int = 1,
    notice: str | None = None,
    error: str | None = None,
    error_case: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _view_or_message(
        request,
        desk,
        "console/governance.html",
        lambda: service.governance_view(session, status=status, kind=kind, page=page),
        {"notice": notice, "error": error, "error_case": error_case},
        status_code,
    )


@router.get("/console/governance", response_class=HTMLResponse)
def governance(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    status: str = "open",
    kind: str = "",
    page: str | None = None,
    done: str = "",
) -> HTMLResponse:
    desk = _desk(session, principal)
    notice = t("console.governance.resolved", case=done) if done.isdigit() else None
    return _governance_page(
        request, session, desk, status=status, kind=kind, page=page_number(page), notice=notice
    )


@router.post("/console/governance/{case_id}/resolve", response_class=HTMLResponse)
def governance_resolve(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    case_id: str,
    resolution: str = Form(""),
    note: str = Form(""),
    target_subject_id: str = Form(""),
    corrected_code: str = Form(""),
) -> Response:
    desk = _desk(session, principal)
    if db_id(case_id) is None:
        return _message(request, desk, NotFound("No such case", "未找到该治理事项"))
    cid = int(case_id)

    def act() -> str:
        service.resolve_case(
            session,
            desk,
            cid,
            resolution=resolution,
            note=note[:2000],
            target_subject_id=target_subject_id[:20],
            corrected_code=corrected_code[:40],
        )
        return f"/console/governance?done={case_id}"

    return _post_step(session, act, partial(_governance_page, request, session, desk, error_case=cid))


# --- catalog and rule tables ------------------------------------------------------------------


def _rules_page(
    request: Request,
    session: Session,
    desk: Desk,
    *,
    notice: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = service.rules_view(session)
    return _render(
        request,
        desk,
        "console/rules.html",
        {"view": view, "notice": notice, "error": error, "values": values or {}},
        status_code,
    )


@router.get("/console/rules", response_class=HTMLResponse)
def rules(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    done: str = "",
    loaded: str = "",
) -> HTMLResponse:
    desk = _desk(session, principal)
    notice = t("console.rules.override_added", day=done[:10]) if done else None
    if loaded.isdigit():
        notice = t("console.rules.notice_loaded", year=loaded[:4])
    return _rules_page(request, session, desk, notice=notice)


@router.post("/console/rules/calendar/notice", response_class=HTMLResponse)
def rules_calendar_notice(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    notice: str = Form(""),
) -> Response:
    desk = _desk(session, principal)
    text = notice[:20_000]

    def act() -> str:
        summary = service.load_calendar_notice(session, desk, text=text)
        return f"/console/rules?loaded={summary.year}#calendar"

    return _post_step(session, act, partial(_rules_page, request, session, desk, values={"notice": text}))


@router.post("/console/rules/calendar", response_class=HTMLResponse)
def rules_calendar(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    day: str = Form(""),
    kind: str = Form(""),
    name: str = Form(""),
    source: str = Form(""),
) -> Response:
    desk = _desk(session, principal)
    values = {"day": day[:10], "kind": kind[:10], "name": name[:100], "source": source[:500]}

    def act() -> str:
        override = service.add_calendar_override(
            session, desk, day=day[:20], kind=kind, name=name[:200], source=source[:500]
        )
        return f"/console/rules?done={override.day.isoformat()}#calendar"

    return _post_step(session, act, partial(_rules_page, request, session, desk, values=values))


# --- list procedures: one step at a time ------------------------------------------------------


def _procedure_page(
    request: Request,
    session: Session,
    desk: Desk,
    procedure_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _view_or_message(
        request,
        desk,
        "console/procedure.html",
        lambda: service.procedure_page(session, desk, procedure_id),
        {"notice": notice, "error": error},
        status_code,
    )


@router.get("/console/lists/{procedure_id}", response_class=HTMLResponse)
def procedure(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    procedure_id: str,
    done: str = "",
) -> HTMLResponse:
    desk = _desk(session, principal)
    if db_id(procedure_id) is None:
        return _no_procedure(request, desk)
    notice = t("console.lists.step_done", step=t_action(done)) if done else None
    return _procedure_page(request, session, desk, int(procedure_id), notice=notice)


def t_action(action: str) -> str:
    return ACTION_ZH.get(action, action)[:20]


@router.post("/console/lists/{procedure_id}/step", response_class=HTMLResponse)
def procedure_step(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    procedure_id: str,
    form: dict[str, str] = Depends(posted_form),
) -> Response:
    desk = _desk(session, principal)
    if db_id(procedure_id) is None:
        return _no_procedure(request, desk)
    action = (form.get("action") or "")[:20]
    clipped = {k: v[:5000] for k, v in form.items()}
    pid = int(procedure_id)

    def act() -> str:
        service.procedure_step(session, desk, pid, action, clipped)
        return f"/console/lists/{procedure_id}?done={quote(action)}"

    return _post_step(session, act, partial(_procedure_page, request, session, desk, pid))


# --- checks and feedback; evaluation ------------------------------------------------------------


@router.get("/console/measures", response_class=HTMLResponse)
def measures(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    overdue: str = "",
) -> HTMLResponse:
    return _view_page(
        request,
        session,
        principal,
        "console/measures.html",
        lambda desk: service.measures_view(session, desk, overdue_only=overdue in ("1", "on", "true")),
    )


@router.get("/console/evaluation", response_class=HTMLResponse)
def evaluation(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
) -> HTMLResponse:
    return _view_page(
        request, session, principal, "console/evaluation.html", lambda _: service.evaluation_view(session)
    )
