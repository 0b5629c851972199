"""`xinyong id check` and `xinyong calendar ...` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.cli import app
from xinyong.core.db import Database, set_database
from xinyong.core.settings import reset_settings

runner = CliRunner()


@pytest.fixture
def no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A configured SQLite store that does not exist yet (before `xinyong init`)."""
    path = tmp_path / "never" / "xinyong.db"
    monkeypatch.setenv("XINYONG_DATABASE_URL", f"sqlite:///{path}")
    reset_settings()
    set_database(None)
    yield path
    set_database(None)


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_id_check_prints_one_json_object_per_code() -> None:
    result = runner.invoke(app, ["id", "check", "91330100716105852F", "11010519491231002X"])
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [
        {
            "code": "91330100716105852F",
            "kind": "uscc",
            "valid": True,
            "error": None,
            "inner_check": "ok",
            "message_zh": "有效",
        },
        {"code": "11010519491231002X", "kind": "ric", "valid": True, "error": None, "message_zh": "有效"},
    ]


def test_id_check_exit_code_1_when_any_code_is_invalid() -> None:
    result = runner.invoke(app, ["id", "check", "91330100716105852F", "91330100716105852E", "12345"])
    assert result.exit_code == 1
    rows = _lines(result.stdout)
    assert [r["error"] for r in rows] == [None, "uscc.check_char", "uscc.length"]
    assert rows[1]["inner_check"] is None


def test_id_check_kind_option_and_stdin() -> None:
    result = runner.invoke(app, ["id", "check", "--kind", "ric", "914403001922038216"])
    assert result.exit_code == 1
    assert _lines(result.stdout) == [
        {
            "code": "914403001922038216",
            "kind": "ric",
            "valid": False,
            "error": "ric.region",
            "message_zh": "前两位“91”不是省级行政区划代码",
        }
    ]
    result = runner.invoke(app, ["id", "check", "-"], input="91330100716105852F\n\n914403001922038216\n")
    assert result.exit_code == 0
    assert [r["code"] for r in _lines(result.stdout)] == ["91330100716105852F", "914403001922038216"]


def test_calendar_works_before_init(no_store: Path) -> None:
    result = runner.invoke(app, ["calendar", "add", "2025-09-30", "1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2025-10-09"
    result = runner.invoke(app, ["calendar", "between", "2025-09-26", "2025-10-13"])
    assert result.stdout.strip() == "7"
    assert not no_store.exists()  # asking the calendar never creates a store


def test_calendar_unknown_year_exits_non_zero(no_store: Path) -> None:
    result = runner.invoke(app, ["calendar", "add", "2046-12-28", "10"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "2046年" in result.stderr and "no holiday data for 2046" in result.stderr


def test_calendar_add_into_a_year_without_notice(no_store: Path) -> None:
    # Issue 13's acceptance: a date today, its last line starting with the date, the basis said.
    result = runner.invoke(app, ["calendar", "add", "2026-12-20", "10"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("2027-01-04")  # 12-21..25, 12-28..31, (元旦 off), 01-04
    assert "calendar_basis: provisional" in lines[-1]
    assert "按法定节假日推算，待国务院通知发布后校正" in result.stdout
    between = runner.invoke(app, ["calendar", "between", "2027-02-04", "2027-02-11"])
    assert between.stdout.strip().splitlines()[-1].startswith("1\t")  # only 02-11 is worked


def test_calendar_years_lists_the_basis(no_store: Path) -> None:
    result = runner.invoke(app, ["calendar", "years"])
    assert result.exit_code == 0
    assert "2026\tnotice" in result.stdout and "2027\tprovisional" in result.stdout


def test_calendar_bad_date(no_store: Path) -> None:
    result = runner.invoke(app, ["calendar", "between", "2025-02-30", "2025-03-01"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_override_needs_an_initialised_store(no_store: Path) -> None:
    result = runner.invoke(app, ["calendar", "override", "2025-10-09", "--holiday", "--name", "台风停工"])
    assert result.exit_code == 2
    assert "xinyong init" in result.stderr


def test_override_via_cli_changes_add(db: Database) -> None:
    assert runner.invoke(app, ["calendar", "add", "2025-09-30", "1"]).stdout.strip() == "2025-10-09"
    result = runner.invoke(
        app,
        ["calendar", "override", "2025-10-09", "--holiday", "--name", "台风停工", "--source", "市政府通知"],
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["calendar", "add", "2025-09-30", "1"]).stdout.strip() == "2025-10-10"
    listed = runner.invoke(app, ["calendar", "overrides"]).stdout
    assert "2025-10-09\tholiday\t台风停工\t市政府通知" in listed


def test_id_check_rejects_a_region_that_names_no_province() -> None:
    # 99 names no province although the check character is right (issue 20 §3).
    result = runner.invoke(app, ["id", "check", "990426198506121231"])
    assert result.exit_code == 1
    assert _lines(result.stdout)[0]["error"] == "ric.region"
