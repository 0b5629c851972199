"""Rich tables of the CLI that stay readable in an 80-column terminal.

A code (统一社会信用代码, ID number, department code, key prefix) is never cut with "…": its column
does not wrap, so it keeps the width of its longest code. Every other column folds its text onto
further lines instead of truncating it (Chinese text has no spaces to wrap at, so Rich's default
would cut it with "…").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table


def code_column(table: Table, header: str, **kwargs: Any) -> None:
    """Add a column of codes, as wide as its longest code, never wrapped nor cut."""
    table.add_column(header, no_wrap=True, **kwargs)


def text_column(table: Table, header: str, **kwargs: Any) -> None:
    """Add a column whose text folds onto further lines rather than being cut."""
    table.add_column(header, overflow="fold", **kwargs)


def cli_table(*headers: str, codes: Iterable[str] = (), **kwargs: Any) -> Table:
    """A table with ``headers``: those in ``codes`` are code columns, the others fold.
    ``kwargs`` go to ``rich.table.Table`` (title, show_header …)."""
    table = Table(**kwargs)
    code_set = set(codes)
    for header in headers:
        if header in code_set:
            code_column(table, header)
        else:
            text_column(table, header)
    return table
