"""The daily job's command, ``xinyong tick`` (``xinyong/jobs``)."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.records import helpers as h
from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.creditstate import service as creditstate
from xinyong.ledger import service as ledger
from xinyong.records import service as records


def test_cli_tick_ends_publicity_and_updates_the_state(db: Database) -> None:
    sid, rid = h.old_penalty(db)
    runner = CliRunner()
    result = runner.invoke(app, ["tick", "--today", "2022-03-02"])
    assert result.exit_code == 0, result.output
    with db.session() as s:
        assert records.get_record(s, rid).status == "in_force"
        assert creditstate.subject_summary(s, sid).records_in_force == 1

    result = runner.invoke(app, ["tick", "--today", "2026-01-01"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    with db.session() as s:
        assert records.get_record(s, rid).status == "publicity_ended"
        assert creditstate.subject_summary(s, sid).records_in_force == 0

    assert runner.invoke(app, ["tick", "--today", "1 Jan"]).exit_code != 0

    # The daily job also signs a ledger checkpoint over what it (and the stores above) appended.
    with db.session() as s:
        assert ledger.list_checkpoints(s)
        assert ledger.verify(s).ok


def test_cli_tick_warns_from_november_while_next_years_notice_is_missing(db: Database) -> None:
    runner = CliRunner()
    quiet = runner.invoke(app, ["tick", "--today", "2026-10-31"])
    assert quiet.exit_code == 0 and "节假日安排通知" not in quiet.output
    warned = runner.invoke(app, ["tick", "--today", "2026-11-01"])
    assert warned.exit_code == 0, warned.output
    assert "尚未导入2027年国务院节假日安排通知" in warned.output
    assert "load-notice" in warned.output
