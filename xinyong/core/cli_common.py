"""What every domain's command line needs: a ``--on``/``--today`` day read with a Chinese error,
the operator's label (``cli:<user>``), one step run in a database session with domain errors
said in Chinese (``core.cli_errors.fail``), a view echoed as JSON, and Rich tables that stay
readable at 80 columns.

Tables: a code (统一社会信用代码, ID number, department code, key prefix) is never cut with "…": its
column does not wrap, so it keeps the width of its longest code. Every other column folds its
text onto further lines instead of truncating it (Chinese text has no spaces to wrap at, so Rich's
default would cut it with "…")."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import typer
from pydantic import BaseModel
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from xinyong.core.cli_errors import EXIT_ERROR, error, fail
from xinyong.core.db import get_database
from xinyong.core.errors import DomainError
from xinyong.core.procedures import Actor

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def parse_day(value: str | None, option: str = "--on") -> date | None:
    """``YYYY-MM-DD`` or nothing (the command's default day); anything else exits with status 2."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise error(f"日期格式错误 {option} {value}（应为 YYYY-MM-DD）") from None


def os_user() -> str:
    """The operating-system user at the console, or "" where there is none (some containers)."""
    try:
        return getpass.getuser()
    except Exception:  # getpass raises whatever the platform's lookup raises
        return ""


def operator_label() -> str:
    """``cli:<user>``: who acted from the server's console, as the history and the ledger keep it."""
    return f"cli:{os_user() or 'operator'}"[:100]


def office_actor() -> Actor:
    """The credit office's window, acting as the operator at the server's console (the procedures'
    commands: lists, objections, repairs, commitments, declarations)."""
    return Actor(operator_label(), "credit_office")


@contextmanager
def domain_errors(exit_code: int = EXIT_ERROR) -> Iterator[None]:
    """A domain error raised inside is printed in Chinese (``fail``) and exits, never a traceback."""
    try:
        yield
    except DomainError as exc:
        raise fail(exc, exit_code) from None


@contextmanager
def cli_session(exit_code: int = EXIT_ERROR) -> Iterator[Session]:
    """One database session, committed when the block ends; a domain error raised in the block or
    by the commit is printed in Chinese (``fail``) and exits with ``exit_code``."""
    with domain_errors(exit_code), get_database().session() as session:
        yield session


def run_step(step: Callable[[Session], T], settle: Callable[[Session], None] | None = None) -> T:
    """Run ``step`` in one session (committed on success); a domain error is printed in Chinese
    and exits with status 2. ``settle`` is the domain's commit-then-catch-up of its consumers,
    for domains whose step leaves state for them to bring up to date."""
    with cli_session() as session:
        result = step(session)
        if settle is not None:
            settle(session)
    return result


def echo_json(view: BaseModel) -> None:
    """The view as indented JSON, Chinese as it is (not ``\\u`` escapes)."""
    typer.echo(json.dumps(view.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _token(text: str) -> bool:
    """A code, a date or a number (ASCII without spaces): it is copied whole, so never split."""
    return text.isascii() and not any(c.isspace() for c in text)


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A table of ``rows`` under ``headers`` that stays readable at 80 columns: Chinese text folds
    onto the next line (Rich would cut it with "…"); a column of codes, dates or numbers keeps
    its width as long as the table still fits the terminal."""
    cells = [[str(cell) for cell in row] for row in rows]
    columns = [[row[i] for row in cells if row[i]] for i in range(len(headers))]
    whole = [bool(col) and all(_token(c) for c in col) for col in columns]
    widths = [max(map(cell_len, col)) if keep else 0 for col, keep in zip(columns, whole, strict=True)]
    if sum(widths) + 3 * len(headers) + 1 > console.width:  # with cell padding and borders
        whole = [False] * len(headers)  # too many codes to keep whole: fold them rather than crop
    table = Table(title=title)
    for header, keep, width in zip(headers, whole, widths, strict=True):
        if keep:  # no_wrap: Rich narrows the other columns to fit the terminal, not this one
            code_column(table, header, overflow="fold", min_width=width)
        else:
            text_column(table, header)
    for row in cells:
        table.add_row(*row)
    console.print(table)


def print_rows(title: str, rows: Iterable[tuple[str, object]]) -> None:
    """A two-column key/value table (one case, one procedure) without a header."""
    table = cli_table("项目", "内容", show_header=False, title=title)
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)


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
