"""FastAPI dependencies of the querylog domain, for every router that serves non-public data.

``requested_purpose``: the purpose a caller names, from the ``X-Purpose`` header or the ``purpose``
query parameter (the parameter wins). A Chinese name may be sent percent-encoded in the header
(HTTP headers are Latin-1), or as the parameter.
"""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import Header, Query


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
