"""FastAPI dependencies shared by every domain's router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from xinyong.core.db import Database


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler returns without error.

    Routers declare it with ``Depends(get_session, scope="function")`` so the commit happens
    before the response is sent: a client never reads a success its own write did not make."""
    with get_db(request).session() as session:
        yield session


# The session parameter of a route, as one annotation: ``session: DbSession``.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
