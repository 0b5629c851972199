"""The one way every command reports an error: 「错误：…」 in Chinese on stderr, what was wrong in
words (field, value, rule), a hint where there is one, and the error code in brackets for a
person who asks support; exit status 2. Never a raw JSON dump."""

from __future__ import annotations

import re
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


# Typer/Click's own usage errors (missing argument, unknown option, bad value) are English; they
# are said again here in Chinese, by kind, with the English text kept in brackets for support.
_VALUE_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid number.*", "应为数字"),
    (r"Input should be a valid boolean.*", "应为 true 或 false"),
    (r"Input should be greater than or equal to (\S+)", r"不能小于 \1"),
    (r"Input should be greater than (\S+)", r"必须大于 \1"),
    (r"Input should be less than or equal to (\S+)", r"不能大于 \1"),
    (r"Input should be less than (\S+)", r"必须小于 \1"),
    (r"(?:Value error, )?'(.*)' is not one of (.*?)\.?", r"「\1」不是可选值，可选值：\2"),
    (r"(?:file|directory|path) '(.*)' does not exist\.?", r"「\1」不存在"),
    (r"(?:file|directory|path) '(.*)' is a directory\.?", r"「\1」是目录，需要文件"),
    (r"(?:file|directory|path) '(.*)' is a file\.?", r"「\1」是文件，需要目录"),
    (r"(?:file|directory|path) '(.*)' is not readable\.?", r"「\1」不可读"),
    (r"(?:file|directory|path) '(.*)' is not writable\.?", r"「\1」不可写"),
)


def _value_zh(message: str) -> str:
    for pattern, replacement in _VALUE_MESSAGES:
        match = re.fullmatch(pattern, message.strip(), flags=re.IGNORECASE | re.DOTALL)
        if match:
            return match.expand(replacement)
    return f"取值无效（{message}）"


def _param_label(param: Any) -> str:
    """``--port`` for an option, ``codes（要校验的代码…）`` for an argument."""
    if param is None:
        return "参数"
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or list(getattr(param, "opts", []))
    name = opts[0] if opts and getattr(param, "param_type_name", "") == "option" else str(param.name)
    help_text = getattr(param, "help", None)
    return f"{name}（{help_text}）" if help_text and not name.startswith("-") else name


def usage_error_zh(exc: Exception) -> tuple[str, str | None]:
    """The Chinese sentence and hint for one of Click's usage errors (any ``ClickException``)."""
    kind = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    hint = f"运行 {ctx.command_path} --help 查看用法" if ctx is not None else None
    message = str(getattr(exc, "message", exc))
    if kind == "MissingParameter":
        param = getattr(exc, "param", None)
        what = "选项" if getattr(param, "param_type_name", "") == "option" else "参数"
        return f"缺少{what} {_param_label(param)}", hint
    if kind == "NoSuchOption":
        possible = getattr(exc, "possibilities", None) or []
        text = f"没有选项 {getattr(exc, 'option_name', '')}"
        return (text + (f"，您是否想用：{'、'.join(sorted(possible))}" if possible else "")), hint
    if kind == "BadParameter":
        label = _param_label(getattr(exc, "param", None))
        return f"{label}{'' if label.endswith('）') else ' '}的取值有误：{_value_zh(message)}", hint
    if kind == "BadOptionUsage":
        match = re.fullmatch(r"Option '(.*)' requires an argument\.", message)
        if match:
            return f"选项 {match.group(1)} 需要一个值", hint
        return f"选项用法有误（{message}）", hint
    match = re.fullmatch(r"No such command '(.*)'\.", message)
    if match:
        commands = sorted(getattr(ctx.command, "commands", {})) if ctx is not None else []
        return f"没有命令 {match.group(1)}", (f"可用的命令：{'、'.join(commands)}" if commands else hint)
    match = re.fullmatch(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message)
    if match:
        return f"多余的参数：{match.group(1)}", hint
    if kind == "FileError":
        return f"无法打开文件 {getattr(exc, 'filename', '')}（{message}）", None
    return f"命令用法有误（{message}）", hint
