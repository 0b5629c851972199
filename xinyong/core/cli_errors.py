"""The one way every command reports an error: 「错误：…」 in Chinese on stderr, what was wrong in
words (field, value, rule), a hint where there is one, and the error code in brackets for a
person who asks support; exit status 2. Never a raw JSON dump."""

from __future__ import annotations

from typing import Any

import typer

from xinyong.core.errors import DomainError

EXIT_ERROR = 2

# Detail keys shown as words, in this order; others are left out (they are in the API answer).
_DETAIL_LABELS = (
    ("field", "字段"),
    ("value", "取值"),
    ("rule", "规则"),
    ("allowed", "可选值"),
    ("valid", "可选值"),
    ("hint", "提示"),
)


def _words(value: Any) -> str:
    if isinstance(value, list | tuple | set):
        return "、".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 200 else f"{text[:200]}…（共 {len(text)} 个字符）"


def error(message_zh: str, *, hint: str | None = None, code: str | None = None) -> typer.Exit:
    """Print 「错误：message」 (+ hint, + code) and return the ``typer.Exit`` to raise."""
    typer.echo(f"错误：{message_zh}", err=True)
    if hint:
        typer.echo(f"提示：{hint}", err=True)
    if code:
        typer.echo(f"（错误代码 {code}）", err=True)
    return typer.Exit(EXIT_ERROR)


def fail(exc: DomainError, exit_code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``exc`` and return the ``typer.Exit`` to raise (``raise fail(exc) from None``)."""
    typer.echo(f"错误：{exc.message_zh}", err=True)
    details = exc.details or {}
    for key, label in _DETAIL_LABELS:
        if details.get(key) not in (None, "", [], {}):
            typer.echo(f"  {label}：{_words(details[key])}", err=True)
    typer.echo(f"（错误代码 {exc.code}：{exc.message}）", err=True)
    return typer.Exit(exit_code)
