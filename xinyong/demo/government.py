"""The demo city's government integrity and data quality (called by ``build_demo``): the city's
departments registered as public bodies with their superiors, government dishonesty records
ingested like any other (SME arrears, broken commitments, lost lawsuits, an official on the
judgment-debtor list), the notices they cause, push subscriptions of the audit body and of one
department's officer, and a year of monthly data-quality scorecards. Idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts_service
from xinyong.core import months
from xinyong.core.clock import CHINA_TZ
from xinyong.core.identifiers import make_ric
from xinyong.demo import measures as measures_demo
from xinyong.demo.generator import Department, load_city
from xinyong.government import service as government_service
from xinyong.ingest import service as ingest_service
from xinyong.measures import push
from xinyong.quality import service as quality_service
from xinyong.subjects import service as subjects_service

ARREARS, BREACH, LAWSUIT, DEBTOR = (
    "government_sme_arrears",
    "government_commitment_breach",
    "government_lawsuit_lost",
    "dishonest_judgment_debtor",
)
# Who submits what: 经信局 the SME arrears (《保障中小企业款项支付条例》), 发改委 the broken
# commitments (政务诚信牵头), the intermediate court lost lawsuits and judgment debtors.
SUBMITTERS = {ARREARS: "TZ-JX", BREACH: "TZ-FG", LAWSUIT: "TZ-ZY", DEBTOR: "TZ-ZY"}
# The bodies the notices go to, and the two push subscribers of the demo.
RECIPIENTS = (
    ("TZ-SJ", "台州市审计局"),
    ("TZ-JW", "中共台州市纪律检查委员会"),
    ("TZ-ZZB", "中共台州市委组织部"),
    ("TZ-ZF", "台州市人民政府"),
)
QUALITY_MONTHS = 12
OFFICIAL = "陈立新"


@dataclass
class GovernmentDemo:
    bodies: int = 0
    records: int = 0
    notices: int = 0
    scorecards: int = 0


def _superior(d: Department, names: dict[str, str]) -> tuple[str, str | None]:
    if d.division == load_city().code:
        return "台州市人民政府", "TZ-ZF"
    return f"{names.get(d.division, d.division)}人民政府", None


def _register_bodies(session: Session) -> list[tuple[Department, int]]:
    city = load_city()
    names = {dv.code: dv.full for dv in city.divisions}
    out = []
    for d in city.departments:
        sid = subjects_service.create_subject(
            session, kind="organisation", name=d.name, uscc=d.uscc, division_code=d.division, industry="S"
        )
        superior, superior_code = _superior(d, names)
        if government_service.get_body(session, sid) is None:
            government_service.register_body(
                session,
                d.uscc,
                superior_name=superior,
                superior_department_code=superior_code,
                department_code=d.code,
                by="demo",
            )
        out.append((d, sid))
    session.commit()
    return out


# Who is pushed what: (department code, subscription name, event).
_SUBSCRIPTIONS = (
    ("TZ-SJ", "审计局政务失信通报（演示）", "government.notice"),
    ("TZ-SCJG", "市场监管局数据质量评分卡（演示）", "quality.scorecard"),
)


def _subscribe(session: Session, receiver_port: int) -> None:
    known = {d.code for d in accounts_service.list_departments(session)}
    for code, name in RECIPIENTS:
        if code not in known:
            accounts_service.create_department(session, code, name, by="demo")
    for code, name, event in _SUBSCRIPTIONS:
        if not push.has_subscription(session, code):
            push.create_subscription(
                session,
                department_code=code,
                name=name,
                url=measures_demo.receiver_url(receiver_port),
                events=[event],
                by="demo",
            )
    session.commit()


def _row(item: str, body: Department, n: int, decided: date, rng: random.Random) -> dict[str, Any]:
    base = {"subject_name": body.name, "uscc": body.uscc, "decision_date": decided.isoformat()}
    if item == ARREARS:
        return {
            **base,
            "document_number": f"台经信认〔{decided.year}〕{n}号",
            "creditor_name": rng.choice(
                ["台州市椒江区精工模具有限公司", "温岭市东浦泵业有限公司", "临海市永丰建材商行"]
            ),
            "arrears_amount": f"{rng.randint(20, 480)}.{rng.randint(0, 9)}",
            "due_date": (decided - timedelta(days=rng.randint(60, 300))).isoformat(),
            "finding_authority": "台州市经济和信息化局",
        }
    if item == BREACH:
        return {
            **base,
            "document_number": f"台发改信认〔{decided.year}〕{n}号",
            "domain": rng.choice(["招商引资", "政府采购"]),
            "counterparty": rng.choice(["台州市黄岩区华诚塑料制品有限公司", "浙江台信网络科技有限公司"]),
            "commitment": "按投资协议约定兑现厂房租金补助和设备补助",
            "breach": "约定期限届满未兑现补助，经催告仍未履行",
            "finding_authority": "台州市发展和改革委员会",
        }
    return {
        **base,
        "document_number": f"（{decided.year}）浙10行终{n}号",
        "court": "台州市中级人民法院",
        "plaintiff": rng.choice(["台州市路桥区金诚五金有限公司", "王某"]),
        "judgment": rng.choice(["撤销行政行为", "确认违法", "责令履行法定职责"]),
    }


def _ingest(session: Session, item: str, rows: list[dict[str, Any]], decided: date) -> int:
    code = SUBMITTERS[item]
    info = ingest_service.get_provider(session, code)
    if item not in info.items:
        ingest_service.set_items(session, code, [*info.items, item])
        session.commit()
    received = datetime.combine(decided + timedelta(days=3), time(10, 0), tzinfo=CHINA_TZ)
    res = ingest_service.submit(session, code, item, rows, received_at=received)
    return res.rows_created


def _records(session: Session, bodies: list[tuple[Department, int]], seed: int) -> int:
    rng = random.Random(f"{seed}/government")
    city = load_city()
    chosen = rng.sample([d for d, _ in bodies], 8)
    created = 0
    plan = [(ARREARS, 4), (BREACH, 2), (LAWSUIT, 4)]
    n = 0
    for item, count in plan:
        for _ in range(count):
            n += 1
            body = chosen[n % len(chosen)]
            decided = city.as_of - timedelta(days=rng.randint(20, 700))
            created += _ingest(session, item, [_row(item, body, n, decided, rng)], decided)
    # An official: the legal representative of a district bureau, on the judgment-debtor list.
    body, body_id = next((d, sid) for d, sid in bodies if d.division != city.code)
    official = subjects_service.create_subject(
        session,
        kind="natural_person",
        name=OFFICIAL,
        id_number=make_ric(body.division, date(1972, 4, 18), 137),
    )
    if not any(r.related_subject_id == official for r in subjects_service.list_relations(session, body_id)):
        subjects_service.add_relation(
            session, body_id, official, "legal_representative", source="机构编制部门"
        )
    session.commit()
    decided = city.as_of - timedelta(days=45)
    debtor = {
        "subject_name": OFFICIAL,
        "subject_category": "自然人",
        "id_type": "身份证",
        "id_number": make_ric(body.division, date(1972, 4, 18), 137),
        "court": "台州市椒江区人民法院",
        "document_number": f"（{decided.year}）浙1002执{rng.randint(1000, 9999)}号",
        "obligation": "偿还借款人民币52万元及利息",
        "dishonest_conduct": "有履行能力而拒不履行生效法律文书确定义务",
        "decision_date": decided.isoformat(),
    }
    created += _ingest(session, DEBTOR, [debtor], decided)
    return created


def seed_government(
    session: Session, *, seed: int, receiver_port: int = measures_demo.RECEIVER_PORT
) -> GovernmentDemo:
    out = GovernmentDemo()
    bodies = _register_bodies(session)
    out.bodies = len(bodies)
    _subscribe(session, receiver_port)  # the same receiver as the 财政局 subscriber
    out.records = _records(session, bodies, seed)
    while government_service.process_events(session):
        session.commit()
    session.commit()
    out.notices = government_service.list_notices(session, per_page=1).total
    last = months.month_of_day(load_city().as_of)
    for k in range(QUALITY_MONTHS - 1, -1, -1):
        out.scorecards += len(quality_service.publish_month(session, months.shift(last, -k)))
        session.commit()
    return out
