"""Every command of ``xinyong`` speaks Chinese: its help, each option's and argument's help, the
help screen itself, and Typer/Click's own usage errors (「错误：…」, exit 2). A new command without
Chinese help fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from xinyong.cli import app

_CHINESE = re.compile(r"[\u4e00-\u9fff]")
runner = CliRunner()


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


ROOT = typer.main.get_command(app)
ALL = list(_commands(ROOT))


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(p) for p, _ in ALL}
    assert {"init", "serve", "ingest", "evaluate whatif", "lists propose", "id check"} <= names
    assert len(ALL) > 80


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "xinyong" for p, _ in ALL])
def test_every_help_text_is_chinese(path: tuple[str, ...], command: Any) -> None:
    assert _CHINESE.search(command.help or ""), f"xinyong {' '.join(path)}: help is not Chinese"
    for param in command.params:
        assert _CHINESE.search(getattr(param, "help", None) or ""), (
            f"xinyong {' '.join(path)} {param.name}: help is not Chinese"
        )


@pytest.mark.parametrize("path", [["--help"], ["evaluate", "--help"], ["lists", "propose", "--help"]])
def test_help_screen_has_no_english_chrome(path: list[str]) -> None:
    out = runner.invoke(app, path, env={"COLUMNS": "120"}).output
    assert "显示本帮助并退出" in out
    assert "Show this message" not in out
    assert "--install-completion" not in out
    assert "Options" not in out and "选项" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["id", "check"], "错误：缺少参数 codes"),
        (["serve", "--port", "abc"], "错误：--port 的取值有误：应为整数"),
        (["serve", "--port", "0"], "错误：--port 的取值有误：不能小于 1"),
        (["serve", "--bogus"], "错误：没有选项 --bogus"),
        (["nosuch"], "错误：没有命令 nosuch"),
        (["tick", "--today"], "错误：选项 --today 需要一个值"),
        (["lists", "show", "1", "2"], "错误：多余的参数：2"),
        (["id", "check", "--kind", "foo", "x"], "「foo」不是可选值"),
    ],
)
def test_usage_errors_are_chinese_with_exit_2(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Error" not in result.output and "Usage" not in result.output


def test_unknown_item_lists_the_valid_items() -> None:
    result = runner.invoke(app, ["catalog", "template", "foo"])
    assert result.exit_code == 2
    assert "错误：信用信息目录中没有该目录项：foo" in result.output
    assert "administrative_penalty（行政处罚）" in result.output
    assert "Traceback" not in result.output


def test_id_check_says_what_is_wrong_in_words() -> None:
    result = runner.invoke(app, ["id", "check", "12345"])
    assert result.exit_code == 1
    assert '"error": "uscc.length"' in result.output
    assert '"message_zh": "统一社会信用代码应为18位，实为5位"' in result.output
