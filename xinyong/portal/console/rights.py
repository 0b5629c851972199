"""The staff console's objection and repair desks (``/console/objections``,
``/console/repairs``): the overdue queue (escalated steps marked), the cases, one case's page and
its steps, through the objections and repairs services (a provider sees and acts on its own
department's cases; the credit office on all). Both desks are the same pages over a different
procedure (``_CaseDesk``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from xinyong.casework.service import Actor
from xinyong.core.errors import InvalidInput
from xinyong.objections import service as objections_service
from xinyong.portal.console.pages import AtDesk, ConsoleCall
from xinyong.portal.pages import not_found_page
from xinyong.repairs import service as repairs_service

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class _CaseDesk:
    """What differs between the objection desk and the repair desk."""

    path: str  # the desk's page; a case is at ``{path}/{id}``
    heading: str
    case_heading: str  # a case page's heading, before its number
    template: str
    case_template: str
    case_name: str  # the case's name in its template
    actions: Mapping[str, list[str]]  # the actions a case offers in its state (the service checks who)
    statuses: Mapping[str, str]
    queue: Callable[..., Any]
    list_cases: Callable[..., Any]
    get_case: Callable[..., Any]


_OBJECTIONS = _CaseDesk(
    path="/console/objections",
    heading="异议办理",
    case_heading="异议",
    template="console/objections.html",
    case_template="console/objection.html",
    case_name="o",
    actions={
        "filed": ["compare", "decide", "withdraw"],
        "referred": ["reply", "extend", "decide", "withdraw"],
        "correcting": ["decide", "withdraw"],
    },
    statuses=objections_service.STATUS_ZH,
    queue=objections_service.queue,
    list_cases=objections_service.list_objections,
    get_case=objections_service.get_objection,
)
_REPAIRS = _CaseDesk(
    path="/console/repairs",
    heading="信用修复办理",
    case_heading="信用修复",
    template="console/repairs.html",
    case_template="console/repair.html",
    case_name="r",
    actions={"filed": ["accept", "reject", "withdraw"], "accepted": ["decide", "extend", "withdraw"]},
    statuses=repairs_service.STATUS_ZH,
    queue=repairs_service.queue,
    list_cases=repairs_service.list_repairs,
    get_case=repairs_service.get_repair,
)


def _form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:5000] if isinstance(value, str) else ""


def _desk_page(at: ConsoleCall, kind: _CaseDesk, status: str, **extra: Any) -> HTMLResponse:
    """The desk: the overdue queue and the cases in ``status`` ("open" by default, "" all)."""
    actor = at.desk.actor
    return at.render(
        kind.template,
        {
            "heading": kind.heading,
            "queue": kind.queue(at.session, actor=actor),
            "page": kind.list_cases(at.session, actor=actor, status=status[:16] or None, per_page=100),
            "status": status[:16],
            "statuses": kind.statuses,
            **extra,
        },
    )


def _case_page(at: ConsoleCall, kind: _CaseDesk, case_id: str) -> HTMLResponse:
    if not case_id.isdigit():
        return not_found_page(at.request)

    def page() -> HTMLResponse:
        view = kind.get_case(at.session, int(case_id), actor=at.desk.actor)
        return at.render(
            kind.case_template,
            {
                "heading": f"{kind.case_heading} #{view.id}",
                kind.case_name: view,
                "actions": kind.actions.get(view.status, []),
            },
        )

    return at.attempt(page)


async def _post(at: ConsoleCall, kind: _CaseDesk, act: Callable[[FormData, Actor], int]) -> Response:
    """A posted case form: ``act`` files the case or takes its step and names the case to show
    next; a refusal rolls back and answers as a message page."""
    form = await at.request.form()
    return at.post(lambda: f"{kind.path}/{act(form, at.desk.actor)}")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise InvalidInput(
            f"Not a date: {text!r}",
            f"收件日期格式应为 YYYY-MM-DD：{text}",
            code="portal.bad_date",
            field="received_on",
            value=text,
        ) from None


def _record_id(form: FormData) -> int:
    record = _form_text(form, "record_id").strip()
    return int(record) if record.isdigit() else 0


# --- objections -----------------------------------------------------------------------------------


@router.get("/console/objections", response_class=HTMLResponse)
def objections_desk(at: AtDesk, status: str = "open") -> HTMLResponse:
    return _desk_page(
        at,
        _OBJECTIONS,
        status,
        grounds=objections_service.grounds(),
        schedules=objections_service.schedules(),
    )


@router.get("/console/objections/{objection_id}", response_class=HTMLResponse)
def objection_page(at: AtDesk, objection_id: str) -> HTMLResponse:
    return _case_page(at, _OBJECTIONS, objection_id)


def _corrections(form: FormData) -> dict[str, str]:
    """The decision's corrections, one ``field=value`` a line."""
    corrections: dict[str, str] = {}
    for line in _form_text(form, "corrections").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            corrections[key.strip()] = value.strip()
    return corrections


@router.post("/console/objections/{objection_id}/step", response_class=HTMLResponse)
async def objection_step(at: AtDesk, objection_id: str) -> Response:
    if not objection_id.isdigit():
        return not_found_page(at.request)

    def act(form: FormData, actor: Actor) -> int:
        objections_service.take_step(
            at.session,
            int(objection_id),
            action=_form_text(form, "action"),
            actor=actor,
            result=_form_text(form, "result") or None,
            outcome=_form_text(form, "outcome") or None,
            text=_form_text(form, "text"),
            corrections=_corrections(form),
        )
        return int(objection_id)

    return await _post(at, _OBJECTIONS, act)


@router.post("/console/objections", response_class=HTMLResponse)
async def objection_window(at: AtDesk) -> Response:
    """窗口代为录入: the credit office files a written objection received at its window."""

    def act(form: FormData, actor: Actor) -> int:
        return objections_service.file_objection(
            at.session,
            record_id=_record_id(form),
            ground=_form_text(form, "ground"),
            statement=_form_text(form, "statement"),
            actor=actor,
            received_on=_day(_form_text(form, "received_on")),
            applicant_name=_form_text(form, "applicant_name") or None,
            schedule=_form_text(form, "schedule") or None,
        ).id

    return await _post(at, _OBJECTIONS, act)


# --- repairs --------------------------------------------------------------------------------------


@router.get("/console/repairs", response_class=HTMLResponse)
def repairs_desk(at: AtDesk, status: str = "open") -> HTMLResponse:
    materials = repairs_service.get_repair_rules().materials
    return _desk_page(
        at, _REPAIRS, status, materials=[(m.code, m.name_zh) for m in materials if m.code != "commitment"]
    )


@router.post("/console/repairs", response_class=HTMLResponse)
async def repair_window(at: AtDesk) -> Response:
    """一口受理: the intake window records a written repair application (the commitment signed on paper)."""

    def act(form: FormData, actor: Actor) -> int:
        return repairs_service.apply_for(
            at.session,
            actor=actor,
            record_id=_record_id(form),
            statement=_form_text(form, "statement"),
            commitment=_form_text(form, "commitment") in ("1", "on"),
            materials=[m for m in form.getlist("materials") if isinstance(m, str)][:20],
            received_on=_day(_form_text(form, "received_on")),
            applicant_name=_form_text(form, "applicant_name") or None,
        ).id

    return await _post(at, _REPAIRS, act)


@router.get("/console/repairs/{repair_id}", response_class=HTMLResponse)
def repair_page(at: AtDesk, repair_id: str) -> HTMLResponse:
    return _case_page(at, _REPAIRS, repair_id)


@router.post("/console/repairs/{repair_id}/step", response_class=HTMLResponse)
async def repair_step(at: AtDesk, repair_id: str) -> Response:
    if not repair_id.isdigit():
        return not_found_page(at.request)

    def act(form: FormData, actor: Actor) -> int:
        repairs_service.take_step(
            at.session,
            int(repair_id),
            action=_form_text(form, "action"),
            actor=actor,
            outcome=_form_text(form, "outcome") or None,
            text=_form_text(form, "text"),
        )
        return int(repair_id)

    return await _post(at, _REPAIRS, act)
