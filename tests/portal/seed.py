"""A small, realistic city seeded through the services (registration, providers, 双公示 submissions
in the national field codes), for the page tests and the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from xinyong.core.identifiers import make_ric, make_uscc
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

COMPANY = "台州市椒江区鑫达机械制造有限公司"
COMPANY_FORMER = "台州市椒江区鑫达机械厂"
TRADER = "台州市黄岩区鑫达贸易有限公司"
SHOP = "椒江区鑫达小吃店"
PERSON = "王建国"
MARKET = "台州市市场监督管理局"
ECOLOGY = "台州市生态环境局"
PENALTY_DOC = "台环罚〔2026〕31号"
PERSON_PENALTY_DOC = "台市监罚〔2026〕77号"
LICENCE_DOC = "JY13310020012345"


@dataclass
class City:
    company_uscc: str
    trader_uscc: str
    shop_uscc: str
    person_id_number: str
    company_id: int
    person_id: int
    today: date


def _working_day_before(d: date, days: int) -> date:
    out = d - timedelta(days=days)
    while out.weekday() >= 5:
        out -= timedelta(days=1)
    return out


def build_city(session: Session) -> City:
    today = records_service.today_china()
    company_uscc = make_uscc("9", "1", "331002", "MA2K3L7Q")
    trader_uscc = make_uscc("9", "1", "331003", "MA28FQ5D")
    shop_uscc = make_uscc("9", "2", "331002", "MA2D8W1C")
    person_id_number = make_ric("331002", date(1975, 3, 9), 123)

    company_id = subjects_service.create_subject(
        session,
        kind="enterprise",
        name=COMPANY,
        uscc=company_uscc,
        legal_representative=PERSON,
        address="浙江省台州市椒江区海门街道解放路 188 号",
        division_code="331002",
        industry="C",
        registered_on=date(2012, 5, 18),
        registered_capital=None,
        former_names=[COMPANY_FORMER],
    )
    subjects_service.create_subject(
        session,
        kind="enterprise",
        name=TRADER,
        uscc=trader_uscc,
        legal_representative="李梅",
        division_code="331003",
    )
    subjects_service.create_subject(
        session,
        kind="individual_business",
        name=SHOP,
        uscc=shop_uscc,
        legal_representative="陈小芳",
        division_code="331002",
    )
    person_id = subjects_service.create_subject(
        session, kind="natural_person", name=PERSON, id_number=person_id_number, division_code="331002"
    )
    subjects_service.add_relation(
        session, company_id, person_id, "legal_representative", since=date(2012, 5, 18), source="市场监管登记"
    )
    session.commit()

    market, _ = ingest_service.create_provider(
        session, "TZ-SCJG", MARKET, None, ["administrative_licence", "administrative_penalty"]
    )
    ecology, _ = ingest_service.create_provider(session, "TZ-STHJ", ECOLOGY, None, ["administrative_penalty"])
    session.commit()

    decided = _working_day_before(today, 3)
    licence = {
        "XK_XDR_MC": COMPANY,
        "XK_XDR_LB": "法人及非法人组织",
        "XK_XDR_SHXYM": company_uscc,
        "XK_FRDB": PERSON,
        "XK_XKWS": "食品经营许可决定书",
        "XK_WSH": LICENCE_DOC,
        "XK_XKLB": "01",
        "XK_XKZS": "食品经营许可证",
        "XK_XKBH": LICENCE_DOC,
        "XK_NR": "预包装食品销售（含冷藏冷冻食品）",
        "XK_JDRQ": decided.isoformat(),
        "XK_YXQZ": decided.isoformat(),
        "XK_YXQZI": (decided + timedelta(days=5 * 365)).isoformat(),
        "XK_XKJG": MARKET,
        "XK_ZT": "1",
        "XK_LYDW": MARKET,
    }
    company_penalty = {
        "CF_XDR_MC": COMPANY,
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": company_uscc,
        "CF_FRDB": PERSON,
        "CF_WSH": PENALTY_DOC,
        "CF_WFXW": "超标排放大气污染物",
        "CF_SY": "该公司喷涂车间废气排放浓度超过国家规定的排放标准。",
        "CF_YJ": "《中华人民共和国大气污染防治法》第九十九条第二项",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币贰拾万元整",
        "CF_NR_FK": "20",
        "CF_JDRQ": decided.isoformat(),
        "CF_CFJG": ECOLOGY,
        "CF_SJLY": ECOLOGY,
    }
    person_penalty = {
        "CF_XDR_MC": PERSON,
        "CF_XDR_LB": "自然人",
        "CF_XDR_ZJLX": "身份证",
        "CF_XDR_ZJHM": person_id_number,
        "CF_WSH": PERSON_PENALTY_DOC,
        "CF_WFXW": "无照经营",
        "CF_SY": "当事人未取得营业执照从事经营活动。",
        "CF_YJ": "《无证无照经营查处办法》第十三条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币伍仟元",
        "CF_NR_FK": "0.5",
        "CF_JDRQ": decided.isoformat(),
        "CF_CFJG": MARKET,
        "CF_SJLY": MARKET,
    }
    for provider, item, rows in (
        (market, "administrative_licence", [licence]),
        (ecology, "administrative_penalty", [company_penalty]),
        (market, "administrative_penalty", [person_penalty]),
    ):
        result = ingest_service.submit(session, provider, item, rows)
        assert result.rows_rejected == 0, result.problems
    session.commit()
    return City(
        company_uscc=company_uscc,
        trader_uscc=trader_uscc,
        shop_uscc=shop_uscc,
        person_id_number=person_id_number,
        company_id=company_id,
        person_id=person_id,
        today=today,
    )
