"""Every command of ``xinyong`` speaks Chinese: its help, each option's and argument's help, the
help screen itself, and Typer/Click's own usage errors (「错误：…」, exit 2). A new command without
Chinese help fails here, and so does English help with a Chinese word in it (「… approval (待审核)」).
Every group lists its commands one line each at 80 columns, never cut with "…"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from xinyong.cli import app

_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# English prose: what is left outside brackets and `code` (option values, codes and English glosses
# in brackets are fine) holding three English words in a row or an English function word.
_BRACKETED = re.compile(r"`[^`]*`|\([^()]*\)|（[^（）]*）")
_ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z'’]*(?: [A-Za-z][a-z'’]*){2,}\b")
_FUNCTION_WORD = re.compile(
    r"(?<![-\w])(?:the|a|an|of|and|or|to|in|for|with|its|is|are|by|from|on|at)(?![-\w])", re.I
)
runner = CliRunner()


def _english(text: str | None) -> list[str]:
    prose = _BRACKETED.sub("", text or "")
    return _ENGLISH_RUN.findall(prose) + _FUNCTION_WORD.findall(prose)


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
    where = f"xinyong {' '.join(path)}"
    for text in (command.help, command.short_help or "短"):
        assert _CHINESE.search(text or ""), f"{where}: help is not Chinese"
        assert not _english(text), f"{where}: help has English {_english(text)}"
    for param in command.params:
        text = getattr(param, "help", None)
        assert _CHINESE.search(text or ""), f"{where} {param.name}: help is not Chinese"
        assert not _english(text), f"{where} {param.name}: help has English {_english(text)}"


@pytest.mark.parametrize(
    "text",
    [
        "Require (or stop requiring) the department's approval of its submissions (待审核).",
        "The 信用报告应用事项清单 in force.",
        "数据质量 provider data quality: monthly scorecards and ranking.",
    ],
)
def test_english_help_with_a_chinese_word_is_caught(text: str) -> None:
    assert _CHINESE.search(text) and _english(text)


def test_chinese_help_with_codes_and_glosses_passes() -> None:
    for text in (
        "启动 API 与门户网站（serve）。",
        "用于试用推送的小型 webhook 接收端：打印每次投递及其 Standard Webhooks 签名是否通过",
        "设为工作日（--workday）或休息日（--holiday）",
        "平台地址，例如 https://credit.example.gov.cn",
    ):
        assert not _english(text), _english(text)


GROUPS = [path for path, command in ALL if getattr(command, "commands", None)]


@pytest.mark.parametrize("path", GROUPS, ids=[" ".join(p) or "xinyong" for p in GROUPS])
def test_command_lists_fit_80_columns(path: tuple[str, ...]) -> None:
    """Each command's short help fits on its one line of the list: not cut with "…", not wrapped
    (a long first help line needs a ``short_help``)."""
    out = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
    listing = out.split("命令 ─", 1)[1]
    for line in listing.splitlines()[:-1]:
        assert not line.rstrip(" │").endswith("…"), f"cut: {line}"
        assert not re.match(r"│\s{3,}\S", line), f"wrapped: {line}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tick", "--today", "1-Jan"], "日期格式错误 --today 1-Jan（应为 YYYY-MM-DD）"),
        (
            ["calendar", "between", "2025-02-30", "2025-03-01"],
            "日期格式错误 开始日期 2025-02-30（应为 YYYY-MM-DD）",
        ),
    ],
)
def test_a_bad_date_is_said_one_way(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert expected in result.output


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
