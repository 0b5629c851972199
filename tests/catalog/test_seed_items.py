"""The items the seeds name: ten 双公示 kinds on the CLI, and market credit information that is
accepted only with the prior written notice (《台州市企业信用促进条例》第十一条)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.catalog.conftest import ACTION_KINDS_ZH
from tests.ingest.factory import RECEIVED_AT, uscc
from xinyong.cli import app
from xinyong.ingest import service


def _row(n: int, notice: str) -> dict[str, Any]:
    return {
        "主体名称": f"台州市椒江区市场信用测试{n}号有限公司",
        "统一社会信用代码": uscc(n),
        "报送单位类型": "行业协会",
        "报送单位": "台州市椒江区汽摩配行业协会",
        "信息类别": "行业自律惩戒",
        "信息内容": "违反行业自律公约，经协会理事会决定予以通报",
        "信息编号": f"JJQMP-2025-{n:03d}",
        "发生日期": "2025-06-10",
        "是否已书面告知": notice,
        "书面告知日期": "2025-05-06",
        "履行期限截止日期": "2025-06-05",
    }


def test_market_credit_information_needs_the_written_notice(session: Session) -> None:
    service.create_provider(
        session, "tz_assoc", "台州市椒江区汽摩配行业协会", None, ["market_credit_information"]
    )
    session.commit()
    res = service.submit(
        session,
        "tz_assoc",
        "market_credit_information",
        [_row(1, "已书面告知"), _row(2, "否")],
        received_at=RECEIVED_AT,
    )
    assert (res.rows_created, res.rows_rejected) == (1, 1)
    problem = next(p for p in res.problems if p.outcome == "rejected")
    assert problem.errors[0]["field"] == "notice_given" and problem.errors[0]["rule"] == "ingest.enum"
    missing = dict(_row(3, "已书面告知"))
    del missing["书面告知日期"]
    res2 = service.submit(
        session, "tz_assoc", "market_credit_information", [missing], received_at=RECEIVED_AT
    )
    assert res2.rows_rejected == 1 and {e["field"] for e in res2.problems[0].errors} == {"notice_date"}


def test_catalog_list_shows_the_ten_double_publicity_kinds() -> None:
    out = CliRunner().invoke(app, ["catalog", "list"])
    assert out.exit_code == 0, out.output
    for name in ACTION_KINDS_ZH:
        assert name in out.output
