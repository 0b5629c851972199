"""List procedures: a procedure's page, its one-step actions and the staff queue (from
``lists.service``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput, NotFound
from xinyong.ingest import service as ingest_service
from xinyong.lists import service as lists_service
from xinyong.lists.rules import ListType
from xinyong.lists.schemas import ProcedureView, QueueItem
from xinyong.portal.console.desk import Desk


@dataclass
class ProcedurePage:
    procedure: ProcedureView
    list_type: ListType | None
    actions: list[str]  # the one-step actions offered now
    today: date
    # Who took each step, as people read it: 「台州市市场监督管理局」 for ``demo:TZ-SCJG``.
    actor_names: dict[str, str] = field(default_factory=dict)


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
    proc = lists_service.get_procedure(session, procedure_id, actor=desk.actor)
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
    providers = {p.code: p.name for p in ingest_service.list_providers(session)}
    names = {}
    for step in proc.steps:
        code = step.actor.rsplit(":", 1)[-1] if step.actor else ""
        if code in providers:
            names[step.actor] = providers[code]
    return ProcedurePage(
        procedure=proc,
        list_type=lt,
        actions=actions,
        today=lists_service.today_china(),
        actor_names=names,
    )


def procedure_step(
    session: Session, desk: Desk, procedure_id: int, action: str, form: Mapping[str, str]
) -> ProcedureView:
    """Take one step of a list procedure with the lists service (which checks the department,
    the state and the deadlines, and writes the step to the ledger)."""
    actor = desk.actor

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
    return lists_service.queue(session, actor=desk.actor)
