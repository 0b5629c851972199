"""Government integrity: public bodies are registered with their superiors; a negative record on
a body or an official notifies the bodies the rules name (row, ledger, addressed push); the
integrity model ranks the bodies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.ingest.factory import PENALTY, penalty_row
from xinyong.core.clock import CHINA_TZ
from xinyong.core.db import Database
from xinyong.core.errors import InvalidInput
from xinyong.core.events import Event, EventCursor
from xinyong.core.identifiers import make_ric, make_uscc
from xinyong.government import service
from xinyong.ingest import service as ingest
from xinyong.jobs import register_consumers
from xinyong.measures import push
from xinyong.measures.models import PushSubscription
from xinyong.subjects import service as subjects

ARREARS = "government_sme_arrears"
DEBTOR = "dishonest_judgment_debtor"
BUREAU = make_uscc("1", "1", "331000", "00200001")  # 机关
SCHOOL = make_uscc("1", "2", "331000", "00200002")  # 事业单位
FIRM = make_uscc("9", "1", "331002", "MA2K0001")
OFFICIAL_ID = make_ric("331002", date(1975, 3, 9), 21)
RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)


def _arrears(doc: str, code: str = BUREAU, name: str = "台州市某某局") -> dict[str, Any]:
    return {
        "subject_name": name,
        "uscc": code,
        "document_number": doc,
        "decision_date": "2026-11-18",
        "creditor_name": "台州市椒江区小微机械有限公司",
        "arrears_amount": "86.5",
        "finding_authority": "台州市经济和信息化局",
    }


def _debtor(doc: str) -> dict[str, Any]:
    return {
        "subject_name": "李四光",
        "subject_category": "自然人",
        "id_type": "身份证",
        "id_number": OFFICIAL_ID,
        "court": "台州市椒江区人民法院",
        "document_number": doc,
        "obligation": "支付货款人民币30万元",
        "dishonest_conduct": "有履行能力而拒不履行生效法律文书确定义务",
        "decision_date": "2026-11-18",
    }


def _city(session: Session) -> dict[str, int]:
    register_consumers()
    bureau = subjects.create_subject(session, kind="organisation", name="台州市某某局", uscc=BUREAU)
    school = subjects.create_subject(session, kind="organisation", name="台州市某某中学", uscc=SCHOOL)
    firm = subjects.create_subject(
        session, kind="enterprise", name="台州市椒江区鑫达1号机械制造有限公司", uscc=FIRM
    )
    official = subjects.create_subject(session, kind="natural_person", name="李四光", id_number=OFFICIAL_ID)
    subjects.add_relation(session, bureau, official, "legal_representative")
    ingest.create_provider(session, "tz_mb", "台州市某某局", BUREAU, [PENALTY])
    ingest.create_provider(session, "tz_jxj", "台州市经济和信息化局", None, [ARREARS])
    ingest.create_provider(session, "tz_fy", "台州市椒江区人民法院", None, [DEBTOR])
    session.commit()
    service.register_body(
        session,
        BUREAU,
        superior_name="台州市人民政府",
        superior_department_code="TZ-ZF",
        department_code="tz_mb",
    )
    service.register_body(session, SCHOOL, superior_name="台州市教育局", superior_department_code="TZ-JY")
    session.commit()
    return {"bureau": bureau, "school": school, "firm": firm, "official": official}


def test_only_public_bodies_register(session: Session) -> None:
    _city(session)
    with pytest.raises(InvalidInput) as exc:
        service.register_body(session, FIRM, superior_name="台州市人民政府")
    assert exc.value.code == "government.not_a_body"
    assert {b.body_type for b in service.list_bodies(session)} == {"机关", "事业单位"}


def test_defaults_notify_superior_audit_and_discipline(session: Session) -> None:
    ids = _city(session)
    session.add(
        PushSubscription(
            department_code="TZ-SJ",
            name="审计局通报",
            url="https://audit.example/hook",
            secret_encrypted="x",
            events=["government.notice"],
            created_by="test",
        )
    )
    session.commit()
    ingest.submit(session, "tz_jxj", ARREARS, [_arrears("台经信认〔2026〕1号")], received_at=RECEIVED)
    ingest.submit(session, "tz_fy", DEBTOR, [_debtor("（2026）浙1002执9号")], received_at=RECEIVED)
    # An enterprise's penalty is nobody's government default.
    ingest.submit(session, "tz_mb", PENALTY, [penalty_row(1, CF_JDRQ="2026-11-18")], received_at=RECEIVED)
    page = service.list_notices(session)
    assert page.total == 2
    by_kind = {n.kind: n for n in page.items}
    body = by_kind["body"]
    assert body.subject_id == ids["bureau"] and body.item_code == ARREARS
    assert [(r["role"], r["name_zh"]) for r in body.recipients] == [
        ("superior", "台州市人民政府"),
        ("audit", "台州市审计局"),
    ]
    assert "盐政办发〔2020〕33号" in body.source
    official = by_kind["official"]
    assert official.subject_id == ids["official"] and official.body_subject_id == ids["bureau"]
    assert [r["role"] for r in official.recipients] == ["employer", "discipline", "personnel"]
    assert "工作人员" in official.text_zh
    # One addressed push event per notice; the audit body's subscription gets the body's notice.
    pushed = list(session.scalars(select(Event).where(Event.type == "government.notice")))
    assert len(pushed) == 2
    _consumed, created = push.fan_out(session)
    assert created == 1
    # Replaying the consumer from the start notifies nobody twice.
    cursor = session.get(EventCursor, service.CONSUMER)
    assert cursor is not None and cursor.last_event_id > 0
    cursor.last_event_id = 0
    session.commit()
    service.process_events(session)
    session.commit()
    assert service.list_notices(session).total == 2


def test_ranking_follows_the_model(session: Session) -> None:
    _city(session)
    ingest.submit(
        session,
        "tz_jxj",
        ARREARS,
        [_arrears("台经信认〔2026〕1号"), _arrears("台经信认〔2026〕2号")],
        received_at=RECEIVED,
    )
    scores = {s.body.code: s for s in service.score_bodies(session)}
    bureau, school = scores[BUREAU], scores[SCHOOL]
    arrears = next(i for i in bureau.indicators if i.code == "sme_arrears")
    assert arrears.value == 2 and arrears.points == 30  # 15 each, at most 30
    assert school.score == 100 and school.rank == 1 and school.grade == "A"
    assert bureau.score <= 70 and bureau.rank == 2 and bureau.notices == 2


def test_api(db: Database, client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
    with db.session() as s:
        _city(s)
        ingest.submit(s, "tz_jxj", ARREARS, [_arrears("台经信认〔2026〕1号")], received_at=RECEIVED)
    h = auth_headers("credit_office")
    r = client.get("/api/v1/government/ranking", headers=h)
    assert r.status_code == 200, r.text
    assert [b["body"]["code"] for b in r.json()["bodies"]] == [SCHOOL, BUREAU]
    n = client.get("/api/v1/government/notices", headers=h).json()
    assert n["total"] == 1 and n["items"][0]["recipients"][0]["role_zh"] == "上级主管单位"
    bad = client.post(
        "/api/v1/government/bodies", headers=h, json={"code": FIRM, "superior_name": "台州市人民政府"}
    )
    assert bad.status_code == 422 and "government.not_a_body" in bad.text
    assert (
        client.get(
            "/api/v1/government/ranking", headers=auth_headers("provider", provider_code="tz_mb")
        ).status_code
        == 403
    )
