"""Fixtures of the access tests (the querylog tests use them too): cheap argon2 (the production
cost is the default) and a small city with one account and one API key per role, a provider,
and records of a company and a person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import COMPANY_USCC, REP_ID, REP_NAME, Accounts, make_accounts, role_key
from tests.fixtures import _cheap_hashing, bearer  # noqa: F401
from tests.records import helpers as h
from xinyong.core.db import Database
from xinyong.creditstate import consumer
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records


@dataclass
class City:
    accounts: Accounts
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> headers
    person_key: dict[str, str] = field(default_factory=dict)  # the person's own subject key
    other_provider_key: dict[str, str] = field(default_factory=dict)
    company_penalty: int = 0
    company_licence: int = 0
    withdrawn: int = 0
    person_penalty: int = 0
    other_provider_record: int = 0
    company: str = COMPANY_USCC
    person: str = REP_ID
    person_name: str = REP_NAME


COMPANY_NAME = "台州市椒江区安信机械有限公司"


def _revocation(document_number: str, on: date) -> dict[str, Any]:
    """A serious penalty of the company (its licence revoked): public."""
    return h.penalty_row(
        document_number,
        types=["吊销许可证件"],
        decision=on,
        code=COMPANY_USCC,
        name=COMPANY_NAME,
        legal_representative_id_type="身份证",
    )


def _stored(session: Session, subject_id: int, provider_id: int, row: dict[str, Any], **kw: Any) -> int:
    """Store a record received today; its id."""
    return (
        h.store(session, subject_id, provider_id, row, received_on=records.today_china(), **kw).record_id or 0
    )


@pytest.fixture
def city(db: Database) -> City:
    today = records.today_china()
    with db.session() as s:
        c = City(make_accounts(s))
        pid = ingest_service.get_provider(s, c.accounts.provider_code).id
        other, _ = ingest_service.create_provider(
            s, "tz_sthjj", "台州市生态环境局", None, [h.PENALTY, h.LICENCE]
        )
        cid, person_id = c.accounts.company_id, c.accounts.person_id
        # The company: a serious penalty (public), a licence, a withdrawn penalty, and a penalty
        # by another department. The person: a penalty (never public).
        c.company_penalty = _stored(s, cid, pid, _revocation("台市监罚〔2026〕1号", today))
        c.company_licence = _stored(
            s,
            cid,
            pid,
            h.licence_row(
                "台市监许〔2026〕7号",
                decision=today,
                name=COMPANY_NAME,
                subject_category="法人及非法人组织",
                uscc=COMPANY_USCC,
            ),
            item_code=h.LICENCE,
        )
        row = h.penalty_row(
            "台市监罚〔2026〕2号", decision=today - timedelta(days=3), code=COMPANY_USCC, name=COMPANY_NAME
        )
        c.withdrawn = _stored(s, cid, pid, row)
        h.store(s, cid, pid, row, received_on=today, withdraw=True)
        c.other_provider_record = _stored(s, cid, other.id, _revocation("台环罚〔2026〕3号", today))
        c.person_penalty = _stored(
            s,
            person_id,
            pid,
            h.penalty_row(
                "台市监罚〔2026〕9号",
                name=REP_NAME,
                id_number=REP_ID,
                decision=today,
                fine="0.5",
                types=["罚款"],
            ),
        )
        consumer.process_events(s)
        for role in ("regulator", "credit_office", "bank", "admin"):
            c.keys[role] = role_key(s, role, username=c.accounts.usernames[role])
        c.keys["provider"] = role_key(s, "provider", provider_code=c.accounts.provider_code)
        c.keys["subject"] = role_key(s, "subject", subject_code=COMPANY_USCC)
        c.person_key = role_key(s, "subject", subject_code=REP_ID)
        c.other_provider_key = role_key(s, "provider", provider_code="tz_sthjj")
    return c


@pytest.fixture
def app_client(db: Database) -> Iterator[TestClient]:
    from xinyong.app import create_app

    with TestClient(create_app(db)) as c:
        yield c
