"""The portal's small city (``seed.build_city``) plus what the signed-in pages need: one account
of each console role and a subject account for the company, a list procedure about the company,
and an upload file with bad rows — all through the services."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import PASSWORD, login
from tests.portal.seed import COMPANY, SHOP, TRADER, City, _working_day_before, build_city
from xinyong.accounts import service as accounts_service
from xinyong.core.identifiers import USCC_ALPHABET
from xinyong.lists import service as lists_service
from xinyong.records import service as records_service

OFFICE = "t_xyb"  # credit office
ADMIN = "t_admin"
MARKET_OFFICER = "t_scjg"  # provider: 台州市市场监督管理局 (TZ-SCJG)
ECOLOGY_OFFICER = "t_sthj"  # provider: 台州市生态环境局 (TZ-STHJ)
REGULATOR = "t_fgw"
COMPANY_USER = "t_company"  # the company's subject account
GOOD_DOC = "台市监罚〔2026〕101号"
BAD_CODE_DOC = "台市监罚〔2026〕102号"
FUTURE_DOC = "台市监罚〔2026〕103号"
HEADERS = [
    "CF_XDR_MC",
    "CF_XDR_LB",
    "CF_XDR_SHXYM",
    "CF_FRDB",
    "CF_WSH",
    "CF_WFXW",
    "CF_SY",
    "CF_YJ",
    "CF_CFLB",
    "CF_NR",
    "CF_NR_FK",
    "CF_JDRQ",
    "CF_CFJG",
    "CF_SJLY",
]


@dataclass
class ConsoleCity:
    city: City
    procedure_id: int  # a blacklist proposal about the company, by the market regulator
    shop_bad_uscc: str  # the shop's code with a wrong check character (the upload's bad row)


def bad_check_char(code: str) -> str:
    """``code`` with another check character: the outer check fails."""
    last = code[-1]
    other = next(c for c in USCC_ALPHABET if c != last)
    return code[:-1] + other


def build_console_city(session: Session) -> ConsoleCity:
    city = build_city(session)
    accounts_service.create_department(session, "TZ-XYB", "台州市信用办")
    accounts_service.create_department(session, "TZ-FGW", "台州市发展和改革委员会")
    users = [
        (OFFICE, "信用办 张三", "credit_office", {"department_code": "TZ-XYB"}),
        (ADMIN, "管理员", "admin", {}),
        (MARKET_OFFICER, "市场监管 李四", "provider", {"provider_code": "TZ-SCJG"}),
        (ECOLOGY_OFFICER, "生态环境 王五", "provider", {"provider_code": "TZ-STHJ"}),
        (REGULATOR, "发改委 赵六", "regulator", {"department_code": "TZ-FGW"}),
        (COMPANY_USER, "鑫达机械 经办人", "subject", {"subject_id": city.company_id}),
    ]
    for username, display, role, extra in users:
        accounts_service.create_user(
            session,
            username=username,
            display_name=display,
            role=role,
            password=PASSWORD,
            **extra,  # type: ignore[arg-type]
        )
    (basis,) = records_service.evaluation_records(
        session, items=["administrative_penalty"], subject_ids=[city.company_id]
    )
    proc = lists_service.propose(
        session,
        list_type="blacklist",
        subject_id=city.company_id,
        basis_record_id=basis.record_id,
        actor=lists_service.Actor(f"user:{MARKET_OFFICER}", "provider", provider_code="TZ-SCJG"),
        reasons="无证生产经营，被吊销许可证件，严重危害人身健康",
        legal_basis="《浙江省公共信用信息管理条例》第二十四条",
    )
    session.commit()
    return ConsoleCity(city=city, procedure_id=proc.id, shop_bad_uscc=bad_check_char(city.shop_uscc))


def penalty_row(name: str, code: str, doc: str, decided: str) -> dict[str, str]:
    return {
        "CF_XDR_MC": name,
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": code,
        "CF_FRDB": "陈小芳",
        "CF_WSH": doc,
        "CF_WFXW": "销售过期食品",
        "CF_SY": "当事人销售超过保质期的食品。",
        "CF_YJ": "《中华人民共和国食品安全法》第一百二十四条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币伍仟元",
        "CF_NR_FK": "0.5",
        "CF_JDRQ": decided,
        "CF_CFJG": "台州市市场监督管理局",
        "CF_SJLY": "台州市市场监督管理局",
    }


def upload_csv(cc: ConsoleCity) -> bytes:
    """Three penalties: one good (the trader), one with a wrong USCC check character (the shop),
    one decided in the future."""
    decided = _working_day_before(cc.city.today, 3).isoformat()
    rows = [
        penalty_row(TRADER, cc.city.trader_uscc, GOOD_DOC, decided),
        penalty_row(SHOP, cc.shop_bad_uscc, BAD_CODE_DOC, decided),
        penalty_row(SHOP, cc.city.shop_uscc, FUTURE_DOC, "2099-01-01"),
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def signed_in(client: TestClient, username: str) -> TestClient:
    """``client`` logged in as ``username`` through the real login form."""
    client.cookies.clear()
    r = login(client, username)
    assert getattr(r, "status_code", None) == 303, getattr(r, "text", "")[:300]
    return client


__all__ = ["COMPANY", "ConsoleCity", "build_console_city", "signed_in", "upload_csv"]
