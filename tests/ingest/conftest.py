"""Fixtures of the ingest tests: a registered provider (and its API key) on each store."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.ingest.factory import LICENCE, PENALTY
from xinyong.ingest import service


@pytest.fixture
def provider(session: Session) -> service.ProviderInfo:
    info, _ = service.create_provider(session, "tz_scjgj", "台州市市场监督管理局", None, [LICENCE, PENALTY])
    session.commit()
    return info


@pytest.fixture
def api_key(session: Session) -> str:
    _, key = service.create_provider(
        session, "tz_api", "台州市椒江区市场监督管理局", None, [LICENCE, PENALTY]
    )
    session.commit()
    return key
