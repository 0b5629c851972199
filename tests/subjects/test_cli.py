"""``xinyong subject show|search`` and ``xinyong governance list|resolve`` name kinds, roles and
statuses in Chinese (never a raw code such as ``enterprise`` or ``open``), in the portal's words."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.subjects.util import ric, uscc, uscc_inner_mismatch
from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.portal.strings import t
from xinyong.subjects import cli as subjects_cli
from xinyong.subjects import service as subjects

runner = CliRunner()


def _seed(db: Database) -> None:
    with db.session() as s:
        company = subjects.create_subject(
            s, kind="enterprise", name="台州市椒江区鑫达机械制造有限公司", uscc=uscc(1)
        )
        person = subjects.create_subject(s, kind="natural_person", name="陈一", id_number=ric(3))
        subjects.add_relation(s, company, person, "legal_representative", source="市市场监督管理局")
        subjects.create_subject(s, kind="enterprise", name="错码实业有限公司", uscc=uscc_inner_mismatch(9))


def test_the_cli_uses_the_portals_names() -> None:
    for code, name in subjects_cli.KIND_ZH.items():
        assert t(f"kind.{code}") == name
    for code, name in subjects_cli.ROLE_ZH.items():
        assert t(f"role.{code}") == name
    for code, name in subjects_cli.CASE_STATUS_ZH.items():
        assert t(f"console.governance.status.{code}") == name


def test_subject_and_governance_print_chinese_names(db: Database) -> None:
    _seed(db)
    shown = runner.invoke(app, ["subject", "show", uscc(1)])
    assert shown.exit_code == 0, shown.output
    assert "企业（enterprise）" in shown.output and "法定代表人" in shown.output
    assert "legal_representative" not in shown.output
    found = runner.invoke(app, ["subject", "search", "机械"])
    assert found.exit_code == 0 and "企业" in found.output and "enterprise" not in found.output

    assert runner.invoke(app, ["governance", "detect"]).exit_code == 0
    listed = runner.invoke(app, ["governance", "list"], env={"COLUMNS": "120"})
    assert listed.exit_code == 0, listed.output
    assert "待处理" in listed.output and " open " not in listed.output
    with db.session() as s:
        case_id = subjects.list_cases(s).items[0].id
    done = runner.invoke(app, ["governance", "resolve", str(case_id), "distinct", "--by", "张科员"])
    assert done.exit_code == 0, done.output
    assert "确认不同主体（distinct）" in done.output
    closed = runner.invoke(app, ["governance", "list", "--status", "all"], env={"COLUMNS": "120"})
    assert "已处理" in closed.output and "resolved" not in closed.output
