"""The read of a subject's file as one dependency: it decides the view and logs a non-public read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.records import helpers as h
from xinyong.access import service as access
from xinyong.access.deps import file_read
from xinyong.accounts.principal import Principal
from xinyong.core.db import Database
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.querylog.models import QueryLogEntry

REGULATOR = Principal(
    role="regulator", kind="user", user_id=7, username="li_jian", department_name="台州市发展和改革委员会"
)


def _entries(session: Session) -> list[QueryLogEntry]:
    return list(session.scalars(select(QueryLogEntry).order_by(QueryLogEntry.id)))


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(QueryLogEntry)) or 0


def test_every_api_route_reading_a_subjects_file_uses_the_dependency(db: Database) -> None:
    from xinyong.app import create_app

    def calls(dependant: Any) -> Iterator[str]:
        for sub in dependant.dependencies:
            yield getattr(sub.call, "__name__", "")
            yield from calls(sub)

    readers = []
    for rc in iter_route_contexts(create_app(db).routes):
        route = rc.original_route
        path = rc.path if isinstance(rc.path, str) else ""
        if not isinstance(route, APIRoute) or not path.startswith("/api/v1/"):
            continue
        if "/subjects" in path or "/records/" in path:
            readers.append(path)
            assert any(c.startswith("file_read_") for c in calls(route.dependant)), path
    assert "/api/v1/subjects/{code}/records" in readers and "/api/v1/records/{record_id}" in readers


def test_a_non_public_read_is_logged_once_with_what_it_returned(session: Session) -> None:
    sid = h.enterprise(session, 1)
    with access.reading(session, REGULATOR, "supervision", action="records.list") as read:
        seen = read.open(sid)
        assert seen.viewer.visibility == "government" and seen.purpose is not None
        read.returned(["administrative_penalty", "administrative_licence"], result_count=2)
    assert read.log() == read.logged_id  # logged once
    [entry] = _entries(session)
    assert (entry.action, entry.subject_id, entry.reference, entry.purpose) == (
        "records.list",
        sid,
        f"subject:{sid}",
        "supervision",
    )
    assert entry.items == ["administrative_licence", "administrative_penalty"] and entry.result_count == 2


def test_public_reads_and_failed_reads_are_not_logged(session: Session) -> None:
    sid = h.enterprise(session, 1)
    with access.reading(session, Principal(), None, action="records.list") as read:
        assert read.open(sid).public
        read.returned(["administrative_penalty"])
    assert read.logged_id is None
    with (
        pytest.raises(NotFound),
        access.reading(session, REGULATOR, "supervision", action="records.list") as read,
    ):
        read.open(sid)
        raise NotFound("gone", "不存在")
    with pytest.raises(InvalidInput) as missing, access.reading(session, REGULATOR, None, action="x") as read:
        read.open(sid)  # a regulator needs a purpose
    assert missing.value.code == "purpose.required"
    assert _count(session) == 0


def test_the_dependency_logs_when_the_handler_returns_even_if_it_said_nothing(session: Session) -> None:
    sid = h.enterprise(session, 1)
    dependency = file_read("credit_state.view")
    gen = dependency(purpose="supervision", principal=REGULATOR, session=session)
    read = next(gen)
    read.open(sid)  # the handler reads, but forgets read.returned(...)
    assert _count(session) == 0  # nothing before the handler returns
    with pytest.raises(StopIteration):
        next(gen)
    [entry] = _entries(session)
    assert (entry.action, entry.items, entry.reference) == ("credit_state.view", [], f"subject:{sid}")
    # An error in the handler is thrown into the dependency: the failed read is not logged.
    gen = dependency(purpose="supervision", principal=REGULATOR, session=session)
    next(gen).open(sid)
    with pytest.raises(NotFound):
        gen.throw(NotFound("gone", "不存在"))
    assert _count(session) == 1
