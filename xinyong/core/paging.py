"""Paging of lists shown page by page: the page asked for in a query string, and how many pages."""

from __future__ import annotations

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
