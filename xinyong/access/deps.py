"""FastAPI dependencies of the access domain, for every route that reads a subject's file.

``file_read(action)``: the read of a subject's file as one dependency. The handler asks it for the
caller's view (``read.open(subject_id)``, which decides: ``access.service.access_for``) and tells
it what the answer holds (``read.returned(items, ...)``); when the handler returns, the dependency
writes the query-log entry of a non-public view, before the session commits. A handler cannot get
a non-public view without the read being logged.

``requested_purpose``: the purpose a caller names, from the ``X-Purpose`` header or the ``purpose``
query parameter (the parameter wins). A Chinese name may be sent percent-encoded in the header
(HTTP headers are Latin-1), or as the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import unquote

from fastapi import Depends, Header, Query
from sqlalchemy.orm import Session

from xinyong.access.service import FileRead
from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session


def requested_purpose(
    purpose: str | None = Query(
        None,
        description="查询用途代码（如 supervision 监管执法、administrative_approval 行政审批；见 /api/v1/purposes）。"
        "非公开信息必填；也可用请求头 X-Purpose",
        max_length=64,
    ),
    x_purpose: str | None = Header(None, alias="X-Purpose", max_length=200),
) -> str | None:
    raw = purpose if purpose and purpose.strip() else x_purpose
    if raw is None:
        return None
    return unquote(raw).strip() or None


def file_read(action: str, *, channel: str = "api") -> Callable[..., Iterator[FileRead]]:
    """The dependency of a route reading a subject's file as ``action`` (``records.list``,
    ``record.view``, ``subject.view`` ...). Declare it with ``scope="function"``:
    ``read: FileRead = Depends(file_read("records.list"), scope="function")``."""

    def read_file(
        purpose: str | None = Depends(requested_purpose),
        principal: Principal = Depends(current_principal),
        session: Session = Depends(get_session, scope="function"),
    ) -> Iterator[FileRead]:
        read = FileRead(session, principal, purpose, action, channel)
        yield read  # an error in the handler ends here: a failed read is not logged
        read.log()

    read_file.__name__ = f"file_read_{action.replace('.', '_')}"
    return read_file
