"""Paging: the page asked for in a query string, how many pages, and one page of a table (the
count of the matching rows and the rows of page ``page``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput

M = TypeVar("M")

# A page number beyond this is read as this one (a query string cannot make a page skip far).
MAX_PAGE = 10_000


def page_number(raw: str | None) -> int:
    """The 1-based page number of a ``?page=`` value: 1 when missing or not a number, at most
    :data:`MAX_PAGE`."""
    try:
        return max(1, min(int(raw or 1), MAX_PAGE))
    except ValueError:
        return 1


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` items fill, ``per_page`` to a page (at least one, even empty)."""
    return max(1, (total + per_page - 1) // per_page)


def paged(
    session: Session,
    model: type[M],
    conditions: Sequence[Any],
    order: Sequence[Any],
    page: int,
    per_page: int,
) -> tuple[int, list[M]]:
    """How many rows of ``model`` match ``conditions``, and the ``page``-th ``per_page`` of them
    in ``order`` (pages count from 1)."""
    total = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    rows = session.scalars(
        select(model).where(*conditions).order_by(*order).offset((page - 1) * per_page).limit(per_page)
    )
    return int(total), list(rows)


def check_page(page: int, per_page: int, *, limit: int, code: str) -> None:
    """Refuse a page below 1 or a page size outside 1..``limit`` (``code``: the domain's
    ``<domain>.bad_page``), naming the field and the value."""
    if page >= 1 and 1 <= per_page <= limit:
        return
    field, value = ("page", page) if page < 1 else ("per_page", per_page)
    raise InvalidInput(
        f"page must be >= 1 and per_page between 1 and {limit}",
        f"页码须不小于1，每页条数须在1到{limit}之间",
        code=code,
        field=field,
        value=value,
        page=page,
        per_page=per_page,
    )
