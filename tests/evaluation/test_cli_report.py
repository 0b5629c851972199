"""``xinyong evaluate report --backtest`` and ``whatif`` as a person reads them: Chinese headers,
every model in force backtested, and 「样本不足，无法计算」 rather than 「AUC None」 when the history
has no serious penalty to predict."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.evaluation import helpers as h
from xinyong.cli import app
from xinyong.evaluation import cli as evaluation_cli
from xinyong.evaluation import service
from xinyong.portal.strings import t
from xinyong.records import service as records

runner = CliRunner()


def test_report_and_whatif_speak_chinese(session: Session) -> None:
    pid = h.provider(session)
    subjects = [h.enterprise(session, n) for n in range(1, 5)]
    h.penalty(
        session,
        subjects[0],
        pid,
        "台市监罚〔2026〕7号",
        decided=records.today_china() - timedelta(days=20),
        types=["罚款"],
    )
    session.commit()
    result = runner.invoke(app, ["evaluate", "run"])
    assert result.exit_code == 0, result.output
    report = runner.invoke(app, ["evaluate", "report", "--backtest"], env={"COLUMNS": "160"})
    assert report.exit_code == 0, report.output
    out = report.output
    assert "评价批次" in out and "等级" in out and "主体数" in out
    assert "None" not in out and "grade" not in out
    for spec in service.models_in_force(records.today_china()):
        assert f"回测：{spec.name_zh}" in out
    assert "样本不足，无法计算" in out and "观察期内没有主体受到严重行政处罚" in out
    whatif = runner.invoke(app, ["evaluate", "whatif", h.uscc(1)], env={"COLUMNS": "160"})
    assert whatif.exit_code == 0, whatif.output
    assert (
        "目录项" in whatif.output
        and "行政处罚" in whatif.output
        and "administrative_penalty" not in whatif.output
    )
    assert "（" in whatif.output  # grades as 「B（良好）」
    explained = runner.invoke(app, ["evaluate", "explain", h.uscc(1)], env={"COLUMNS": "160"})
    assert explained.exit_code == 0, explained.output
    assert "[扣分]" in explained.output and "[cost]" not in explained.output
    # Numbers as people read them (91.25, not 91.2500) and the model by its Chinese name.
    head = explained.output.split("[", 1)[0].replace("\n", "")  # the grade line, the dimensions
    assert not re.search(r"\d\.\d*00\b", head) and "企业" in head, explained.output


def test_reason_kinds_are_the_portals_words() -> None:
    for kind, name in evaluation_cli.REASON_KIND_ZH.items():
        assert t(f"me.reason.{kind}") == name
