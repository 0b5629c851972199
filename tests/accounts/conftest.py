"""Fixtures of the accounts tests: cheap argon2 parameters (the production cost is the default)
and one account of every role on each store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.accounts.helpers import Accounts, make_accounts
from tests.fixtures import cheap_hashing
from xinyong.accounts.service import UNKNOWN_NAMES
from xinyong.core.db import Database


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    cheap_hashing(monkeypatch, rate_limit_off=False)
    UNKNOWN_NAMES.clear()
    yield
    UNKNOWN_NAMES.clear()


@pytest.fixture
def accounts(db: Database, session: Session) -> Accounts:
    """One user per role (and the department, provider and subject they need)."""
    return make_accounts(session)
