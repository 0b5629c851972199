"""The business register through the normal submissions path: register rows create and update
subjects (versions of one record per subject), relation rows write relations and former names."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.ingest.factory import RECEIVED_AT, ric, to_csv, to_xlsx, uscc
from xinyong.ingest import service
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

ITEMS = ["register_enterprise", "register_relation", "administrative_penalty"]


@pytest.fixture
def registrar(session: Session) -> service.ProviderInfo:
    info, _ = service.create_provider(session, "tz_reg", "台州市市场监督管理局（登记）", None, ITEMS)
    session.commit()
    return info


def enterprise_row(n: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "企业名称": f"台州市椒江区登记测试{n}号有限公司",
        "统一社会信用代码": uscc(n),
        "企业类型": "有限责任公司(自然人投资或控股)",
        "法定代表人": "王建国",
        "注册资本（万元）": "500",
        "成立日期": "2012-03-15",
        "住所": "浙江省台州市椒江区海门街道东海大道1号",
        "经营范围": "机械零部件制造、销售",
        "国民经济行业代码": "C3411",
        "登记状态": "存续",
        "所属区县": "331002",
        "登记信息编号": uscc(n),
        "核准日期": "2012-03-15",
        "登记机关": "台州市椒江区市场监督管理局",
    }
    row.update(over)
    return row


def test_register_rows_create_and_update_subjects(session: Session, registrar: service.ProviderInfo) -> None:
    res = service.submit_file(
        session,
        registrar.code,
        "register_enterprise",
        io.BytesIO(to_csv([enterprise_row(1), enterprise_row(2, **{"注册资本（万元）": "30"})])),
        "register.csv",
        received_at=RECEIVED_AT,
    )
    assert (res.rows_created, res.rows_rejected) == (2, 0)
    subject = subjects_service.get_by_code(session, uscc(1))
    assert not subject.provisional
    assert subject.registered_on == date(2012, 3, 15)
    assert subject.registered_capital == Decimal("500")
    assert (subject.industry, subject.division_code, subject.status) == ("C", "331002", "存续")
    assert subject.legal_representative == "王建国"

    # A change of registration (new name, capital and status) is a new version of the same record.
    changed = enterprise_row(
        1,
        **{
            "企业名称": "台州市椒江区登记测试一号科技有限公司",
            "注册资本（万元）": "1200",
            "核准日期": "2025-06-01",
        },
    )
    res2 = service.submit_file(
        session, registrar.code, "register_enterprise", io.BytesIO(to_xlsx([changed])), "change.xlsx"
    )
    assert (res2.rows_corrected, res2.rows_created) == (1, 0)
    after = subjects_service.get_by_code(session, uscc(1))
    assert after.id == subject.id and after.name == "台州市椒江区登记测试一号科技有限公司"
    assert after.registered_capital == Decimal("1200")
    # The former name stays searchable.
    found = subjects_service.search(session, "登记测试1号")
    assert subject.id in {i.subject.id for i in found.items}
    page = records_service.list_subject_records(session, subject.id, visibility="government")
    register = [r for r in page.items if r.item_code == "register_enterprise"]
    assert len(register) == 1 and register[0].version == 2


def test_a_provisional_subject_becomes_registered(session: Session, registrar: service.ProviderInfo) -> None:
    """A penalty arrives before the register: the subject is provisional until its register row."""
    from tests.ingest.factory import penalty_row

    service.submit(
        session, registrar.code, "administrative_penalty", [penalty_row(3)], received_at=RECEIVED_AT
    )
    code = penalty_row(3)["CF_XDR_SHXYM"]
    assert subjects_service.get_by_code(session, code).provisional
    row = enterprise_row(3, **{"统一社会信用代码": code, "登记信息编号": code})
    res = service.submit(session, registrar.code, "register_enterprise", [row], received_at=RECEIVED_AT)
    assert res.rows_created == 1
    subject = subjects_service.get_by_code(session, code)
    assert not subject.provisional and subject.registered_on == date(2012, 3, 15)


def test_relation_rows_write_relations_and_former_names(
    session: Session, registrar: service.ProviderInfo
) -> None:
    service.submit(
        session,
        registrar.code,
        "register_enterprise",
        [enterprise_row(4), enterprise_row(5)],
        received_at=RECEIVED_AT,
    )
    company = subjects_service.get_by_code(session, uscc(4))

    def rel(kind: str, seq: int, name: str, **over: Any) -> dict[str, Any]:
        row = {
            "企业名称": company.name,
            "统一社会信用代码": uscc(4),
            "关系类别": kind,
            "关联方名称": name,
            "关系记录编号": f"{uscc(4)}-{seq}",
            "核准日期": "2020-01-02",
        }
        row.update(over)
        return row

    rows = [
        rel(
            "法定代表人",
            1,
            "王建国",
            **{"关联方类别": "自然人", "关联方证件号码": ric(1), "起始日期": "2012-03-15"},
        ),
        rel("股东", 2, "王建国", **{"关联方类别": "自然人", "关联方证件号码": ric(1), "持股比例（%）": "60"}),
        rel("股东", 3, "李梅", **{"关联方类别": "自然人", "关联方证件号码": ric(2), "持股比例（%）": "40"}),
        rel("实际控制人", 4, "王建国", **{"关联方类别": "自然人", "关联方证件号码": ric(1)}),
        rel("分支机构", 5, "台州市椒江区登记测试5号有限公司", **{"关联方统一社会信用代码": uscc(5)}),
        rel("曾用名", 6, "台州市椒江区老字号机械厂", **{"终止日期": "2019-12-31"}),
        rel("股东", 7, "无证件的人", **{"关联方类别": "自然人"}),  # refused: no ID number
    ]
    res = service.submit_file(
        session,
        registrar.code,
        "register_relation",
        io.BytesIO(to_csv(rows)),
        "relations.csv",
        received_at=RECEIVED_AT,
    )
    assert (res.rows_created, res.rows_rejected) == (6, 1)
    bad = res.problems[0]
    assert bad.row == 8 and bad.errors[0]["rule"] == "register.related_identity"
    relations = subjects_service.list_relations(session, company.id)
    roles = sorted((r.role, r.other.name, r.share_ratio) for r in relations)
    assert ("shareholder", "王建国", Decimal("0.6")) in roles and (
        "shareholder",
        "李梅",
        Decimal("0.4"),
    ) in roles
    assert {r.role for r in relations} == {"legal_representative", "shareholder", "controller", "branch"}
    assert company.id in {i.subject.id for i in subjects_service.search(session, "老字号机械厂").items}
    # The ID number is kept only masked in the record data.
    page = records_service.list_subject_records(session, company.id, visibility="government", per_page=50)
    assert page.total == 7 and all(ric(1) not in str(r.fields) for r in page.items)
