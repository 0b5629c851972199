"""The public subject page shows the whole public file (issue 15 §5): list entries with their
basis and dates, court lists, commitments, honours, sector ratings, verified self-declarations
(经核实) and the grade where the evaluation model makes it public; list entries link to it."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.creditstate import service as creditstate
from xinyong.evaluation import service as evaluation

COURT_DOC = "(2026)浙10执123号"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _store(session: Session, city: h.City, item: str, data: dict) -> int:
    base = {"subject_name": "台州市椒江区安信机械有限公司", "uscc": rh.uscc(1), "decision_date": h.recent(30)}
    return rh.store(session, city.company, city.providers[h.SCJG], {**base, **data}, item_code=item).record_id


@pytest.fixture
def city(session: Session) -> h.City:
    city = h.build_city(session)
    h.court_record(session, city, COURT_DOC, decision=h.recent(20))
    _store(
        session,
        city,
        "honour",
        {
            "document_number": "浙市监信〔2026〕9号",
            "honour_name": "浙江省守合同重信用企业",
            "honour_level": "provincial",
            "awarding_unit": "浙江省市场监督管理局",
        },
    )
    _store(
        session,
        city,
        "credit_commitment",
        {
            "document_number": "CN-2026-0001",
            "commitment_type": "accept_with_gaps",
            "commitment_matter": "食品经营许可证核发（容缺补齐健康证明）",
            "accepting_unit": "台州市椒江区市场监督管理局",
            "fulfilment_status": "in_progress",
        },
    )
    _store(
        session,
        city,
        "sector_rating",
        {
            "document_number": "NSXY-2025-1",
            "rating_scheme": "tax_credit",
            "rating": "A",
            "rating_year": 2025,
            "rating_unit": "国家税务总局台州市椒江区税务局",
        },
    )
    _store(
        session,
        city,
        "self_declaration",
        {
            "document_number": "ZZSB-1",
            "declaration_type": "qualification",
            "declaration_title": "ISO9001质量管理体系认证",
            "verification_status": "verified",
            "verifying_unit": "台州市市场监督管理局",
        },
    )
    _store(
        session,
        city,
        "self_declaration",
        {
            "document_number": "ZZSB-2",
            "declaration_type": "public_welfare",
            "declaration_title": "未经核实的公益捐赠",
            "verification_status": "pending",
        },
    )
    session.commit()
    h.consume(session)
    return city


def test_the_public_page_shows_every_public_item_by_category(client: TestClient, city: h.City) -> None:
    r = client.get(f"/subjects/{rh.uscc(1)}")
    assert r.status_code == 200
    text = _text(r.text)
    # The courts' list entry (published automatically from the court record), with basis and dates.
    lists = text[text.index("信用名单") :]
    assert "失信被执行人名单" in lists and COURT_DOC in lists
    assert "认定依据" in lists and "列入期限至" in lists
    assert re.search(r'href="/lists/announcements/\d+"', r.text)
    for heading, content in (
        ("失信被执行人", COURT_DOC),
        ("信用承诺", "食品经营许可证核发"),
        ("表彰荣誉", "浙江省守合同重信用企业"),
        ("行业信用评价", "NSXY-2025-1"),
        ("自主申报（经核实）", "ISO9001质量管理体系认证"),
    ):
        assert f"{heading}" in text and content in text, heading
    assert "经核实" in text
    assert "未经核实的公益捐赠" not in text  # a pending declaration is not public
    # The grade is not public under the default models.
    assert "公共信用综合评价" not in text


def test_black_list_entries_link_to_the_subject_page(client: TestClient, city: h.City) -> None:
    html = client.get("/lists/black").text
    assert f'href="/subjects/{rh.uscc(1)}"' in html


def test_the_grade_is_shown_where_the_model_makes_it_public(
    client: TestClient,
    session: Session,
    city: h.City,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from xinyong.core.settings import get_settings, reset_settings

    rules = tmp_path / "rules"
    shutil.copytree(get_settings().ruleset_dir, rules)
    path = rules / "models" / "enterprise.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["publication"] = {
        "grade_public": True,
        "source": "某市公共信用综合评价办法第十条（评价结果向社会公开）",
    }
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("XINYONG_RULESET_DIR", str(rules))
    reset_settings()
    evaluation.reset_model_files_cache()
    evaluation.sync_models(session)
    creditstate.set_evaluations(
        session,
        [
            creditstate.EvaluationState(
                city.company, "B", Decimal("820"), "enterprise", raw["version"], datetime.now(UTC)
            )
        ],
    )
    session.commit()
    text = _text(client.get(f"/subjects/{rh.uscc(1)}").text)
    assert "公共信用综合评价" in text and "评价等级：良好（B）" in text
    # The other enterprise has no grade: no section.
    assert "评价等级" not in _text(client.get(f"/subjects/{rh.uscc(2)}").text)
