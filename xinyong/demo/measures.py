"""The demo city's subscriber (called by ``xinyong.demo.service.build_demo``): the city's 财政局
checks suppliers before procurement and fiscal funding, subscribes to list and grade changes and
to new penalties and judgment debtors, and reports back what it applied."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.measures import push
from xinyong.measures.cli import RECEIVER_PORT

DEPARTMENT = ("TZ-CZJ", "台州市财政局")
SCOPES = ("checks:read", "subscriptions:read", "subscriptions:write", "feedback:read", "feedback:write")


def receiver_url(port: int = RECEIVER_PORT) -> str:
    """Where the demo subscriber listens: `xinyong push receive --port PORT` runs a receiver there."""
    return f"http://127.0.0.1:{port}/xinyong-webhook"


def seed_subscriber(session: Session, receiver_port: int = RECEIVER_PORT) -> str | None:
    """Register the subscriber department, its API key and its webhook subscription on
    ``receiver_port``; returns the key (shown once), or None when the demo city already has the
    subscriber."""
    code, name = DEPARTMENT
    if push.has_subscription(session, code):
        return None
    if code not in {d.code for d in accounts_service.list_departments(session)}:
        accounts_service.create_department(session, code, name, by="demo")
    _, key = accounts_service.create_api_key(
        session,
        name="演示城市财政局政府采购系统",
        role="regulator",
        scopes=SCOPES,
        department_code=code,
        by="demo",
    )
    push.create_subscription(
        session,
        department_code=code,
        name="政府采购与财政资金系统（演示）",
        url=receiver_url(receiver_port),
        events=["list.entered", "list.exited", "grade.changed", "record.created"],
        items=["administrative_penalty", "dishonest_judgment_debtor"],
        by="demo",
    )
    return key
