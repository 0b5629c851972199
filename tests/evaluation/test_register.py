"""Evaluation reads the ingested register: the 企业基础信息 dimension moves with the founding
date and the capital the register sends (not 0 for every real subject)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.evaluation import helpers as h
from xinyong.evaluation import service
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records
from xinyong.subjects import service as subjects


def _row(n: int, founded: str, capital: str, approved: str) -> dict[str, Any]:
    return {
        "企业名称": f"台州市评价登记{n}号有限公司",
        "统一社会信用代码": h.uscc(n),
        "注册资本（万元）": capital,
        "成立日期": founded,
        "国民经济行业代码": "C3411",
        "登记状态": "存续",
        "所属区县": "331002",
        "登记信息编号": h.uscc(n),
        "核准日期": approved,
    }


def test_a_real_founding_date_changes_the_basic_dimension(session: Session) -> None:
    ingest_service.create_provider(
        session, "TZ-REG", "台州市市场监督管理局（登记）", items=["register_enterprise"]
    )
    session.commit()
    today = records.today_china()
    young = f"{today.year - 1}-01-10"
    ingest_service.submit(session, "TZ-REG", "register_enterprise", [_row(41, young, "50", young)])
    sid = subjects.get_by_code(session, h.uscc(41)).id
    service.run_batch(session)
    session.commit()
    before = service.explain(session, sid)
    assert int(before.features["years_registered"]) <= 1

    # The register's correction: the company was founded 20 years ago with more capital.
    old = f"{today.year - 20}-01-10"
    res = ingest_service.submit(session, "TZ-REG", "register_enterprise", [_row(41, old, "5000", str(today))])
    assert res.rows_corrected == 1
    service.run_batch(session)
    session.commit()
    after = service.explain(session, sid)
    assert int(after.features["years_registered"]) >= 19
    assert after.dimensions["basic"] > before.dimensions["basic"]
    assert after.score > before.score
