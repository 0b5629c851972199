"""The one way every command reports a domain error: the Chinese message first, then the error
code and the English message, then the details (field, value, rule …) as JSON, on stderr."""

from __future__ import annotations

import json

import typer

from xinyong.core.errors import DomainError


def fail(exc: DomainError, exit_code: int = 1) -> typer.Exit:
    """Print ``exc`` and return the ``typer.Exit`` to raise (``raise fail(exc) from None``)."""
    typer.echo(f"{exc.message_zh}\n({exc.code}: {exc.message})", err=True)
    if exc.details:
        typer.echo(json.dumps(exc.details, ensure_ascii=False, default=str), err=True)
    return typer.Exit(exit_code)
