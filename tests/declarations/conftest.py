"""A small city for the declarations tests: the lists tests' city (an enterprise with its legal
representative, a second enterprise, the market regulator and the ecology bureau as departments)
and API keys for the company, the other enterprise and both departments."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.lists import helpers as h
from tests.records import helpers as rh
from xinyong.accounts import service as accounts
from xinyong.core.db import Database

SCOPES = ["commitments:read", "commitments:write", "declarations:read", "declarations:write"]


@dataclass
class Keys:
    city: h.City
    company: dict[str, str]
    other: dict[str, str]
    scjg: dict[str, str]
    sthj: dict[str, str]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(db: Database) -> Keys:
    with db.session() as s:
        city = h.build_city(s)
        company = accounts.create_api_key(
            s, name="安信机械", role="subject", subject_code=rh.uscc(1), scopes=SCOPES
        )
        other = accounts.create_api_key(
            s, name="鑫达塑料", role="subject", subject_code=rh.uscc(2), scopes=SCOPES
        )
        scjg = accounts.create_api_key(s, name="市监局", role="provider", provider_code=h.SCJG, scopes=SCOPES)
        sthj = accounts.create_api_key(
            s, name="生态环境局", role="provider", provider_code=h.STHJ, scopes=SCOPES
        )
        s.commit()
    return Keys(city, _bearer(company[1]), _bearer(other[1]), _bearer(scjg[1]), _bearer(sthj[1]))
