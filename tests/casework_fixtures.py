"""The city of the commitments and declarations tests: the lists tests' city (an enterprise with
its legal representative, a second enterprise, the market regulator and the ecology bureau as
departments) and API keys for the company, the other enterprise and both departments."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fixtures import key_headers
from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.core.db import Database

SCOPES = ["commitments:read", "commitments:write", "declarations:read", "declarations:write"]


@dataclass
class Keys:
    city: h.City
    company: dict[str, str]
    other: dict[str, str]
    scjg: dict[str, str]
    sthj: dict[str, str]


@pytest.fixture
def keys(db: Database) -> Keys:
    with db.session() as s:
        city = h.build_city(s)
        company = key_headers(s, "安信机械", "subject", SCOPES, subject_code=rh.uscc(1))
        other = key_headers(s, "鑫达塑料", "subject", SCOPES, subject_code=rh.uscc(2))
        scjg = key_headers(s, "市监局", "provider", SCOPES, provider_code=h.SCJG)
        sthj = key_headers(s, "生态环境局", "provider", SCOPES, provider_code=h.STHJ)
        s.commit()
    return Keys(city, company, other, scjg, sthj)
