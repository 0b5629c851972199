"""Console pages of commitments and self-declarations (``/console/commitments``,
``/console/declarations``): the open cases of the caller's department (staff: every department),
the overdue queue, and the verification forms. The domains' services decide who may act; both
pages are the same page over a different procedure (``_Docket``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from xinyong.commitments import service as commitments
from xinyong.core.errors import DomainError
from xinyong.declarations import service as declarations
from xinyong.portal.console.pages import AtDesk, ConsoleCall, see_other

router = APIRouter(include_in_schema=False)
STATUS_FILTERS = ("open", "all")


@dataclass(frozen=True)
class _Docket:
    """What differs between the commitment page and the declaration page."""

    name: str  # the page is /console/{name}s (console/{name}s.html), a case's anchor #{name}-{id}
    cases: Callable[[Session, Any, bool], list[Any]]  # (session, actor, every case?) → the cases shown
    overdue_queue: Callable[..., Any]
    settle: Callable[[Session], None]


def _commitment_cases(session: Session, actor: commitments.Actor, every: bool) -> list[Any]:
    page = commitments.list_commitments(session, actor=actor, per_page=200)
    return [c for c in page.items if every or c.status in commitments.OPEN]


def _declaration_cases(session: Session, actor: declarations.Actor, every: bool) -> list[Any]:
    page = declarations.list_declarations(session, actor=actor, per_page=200)
    return [
        declarations.get_declaration(session, d.id, actor=actor)
        for d in page.items
        if every or d.status == "filed"
    ]


_COMMITMENTS = _Docket("commitment", _commitment_cases, commitments.overdue_queue, commitments.settle)
_DECLARATIONS = _Docket("declaration", _declaration_cases, declarations.overdue_queue, declarations.settle)


def _page(
    at: ConsoleCall,
    docket: _Docket,
    show: str,
    *,
    error: str | None = None,
    error_id: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    show = show if show in STATUS_FILTERS else "open"
    actor = at.desk.actor
    context = {
        "items": docket.cases(at.session, actor, show == "all"),
        "overdue": docket.overdue_queue(at.session, actor=actor),
        "show": show,
        "error": error,
        "error_id": error_id,
    }
    return at.render(f"console/{docket.name}s.html", context, status_code)


def _step(at: ConsoleCall, docket: _Docket, case_id: str, step: Callable[[int, Any], object]) -> Response:
    """A verification form: ``step`` acts on the case; a refusal shows the open cases with the
    message at the case's form."""
    if not case_id.isdigit():
        return _page(at, docket, "open", status_code=404)
    cid = int(case_id)
    try:
        step(cid, at.desk.actor)
    except DomainError as exc:
        at.session.rollback()
        return _page(at, docket, "open", error=exc.message_zh, error_id=cid, status_code=exc.status_code)
    docket.settle(at.session)
    return see_other(f"/console/{docket.name}s?show=all#{docket.name}-{cid}")


@router.get("/console/commitments", response_class=HTMLResponse)
def console_commitments(at: AtDesk, show: str = "open") -> HTMLResponse:
    return _page(at, _COMMITMENTS, show)


@router.get("/console/declarations", response_class=HTMLResponse)
def console_declarations(at: AtDesk, show: str = "open") -> HTMLResponse:
    return _page(at, _DECLARATIONS, show)


@router.post("/console/commitments/{commitment_id}/verify", response_class=HTMLResponse)
def console_verify_commitment(
    at: AtDesk, commitment_id: str, outcome: str = Form(""), text: str = Form("")
) -> Response:
    def verify(cid: int, actor: commitments.Actor) -> object:
        return commitments.take_step(
            at.session, cid, actor=actor, action="verify", outcome=outcome or None, text=text[:4000]
        )

    return _step(at, _COMMITMENTS, commitment_id, verify)


@router.post("/console/declarations/{declaration_id}/step", response_class=HTMLResponse)
def console_declaration_step(
    at: AtDesk, declaration_id: str, action: str = Form(""), text: str = Form("")
) -> Response:
    def step(did: int, actor: declarations.Actor) -> object:
        return declarations.take_step(at.session, did, actor=actor, action=action, text=text[:4000])

    return _step(at, _DECLARATIONS, declaration_id, step)
