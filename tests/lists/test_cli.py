"""The ``xinyong lists`` commands."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.cli import app


def test_the_procedure_from_the_command_line(session: Session) -> None:
    city = h.build_city(session)
    basis = h.basis_penalty(session, city.company, date(2026, 3, 2))
    session.commit()
    runner = CliRunner()
    args = ["lists", "propose", "blacklist", rh.uscc(1), "--reasons", "吊销许可证件"]
    args += ["--department", h.SCJG, "--on", "2026-03-02"]
    refused = runner.invoke(app, args)
    assert refused.exit_code != 0 and "据以认定的信用记录" in refused.output
    r = runner.invoke(app, [*args, "--record", str(basis)])
    assert r.exit_code == 0, r.output
    assert "已提议" in r.output
    assert runner.invoke(app, ["lists", "notice", "1", "--on", "2026-03-02"]).exit_code == 0
    bad = runner.invoke(app, ["lists", "publish", "1", "--on", "2026-03-03"])
    assert bad.exit_code == 2 and "不能公布" in bad.output
    r = runner.invoke(
        app,
        [
            "lists",
            "decide",
            "1",
            "--reasons",
            "依法列入",
            "--document",
            "台市监信决〔2026〕8号",
            "--signed-by",
            "张局长",
            "--on",
            "2026-03-10",
        ],
    )
    assert r.exit_code == 0 and "已列入" in r.output, r.output
    r = runner.invoke(app, ["lists", "queue", "--today", "2026-03-30"])
    assert r.exit_code == 0 and "待公布" in r.output and "逾期" in r.output
    r = runner.invoke(app, ["lists", "show", "1"])
    assert r.exit_code == 0 and "告知" in r.output
    r = runner.invoke(app, ["lists", "tick", "--today", date(2026, 3, 30).isoformat()])
    assert r.exit_code == 0 and "events consumed" in r.output
