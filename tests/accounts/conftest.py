"""Fixtures of the accounts tests: cheap argon2 parameters (the production cost is the default)
and one account of every role on each store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.accounts.helpers import Accounts, make_accounts
from xinyong.accounts.service import UNKNOWN_NAMES
from xinyong.core.db import Database
from xinyong.core.settings import reset_settings


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XINYONG_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("XINYONG_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINYONG_ARGON2_PARALLELISM", "1")
    reset_settings()
    UNKNOWN_NAMES.clear()
    yield
    UNKNOWN_NAMES.clear()


@pytest.fixture
def accounts(db: Database, session: Session) -> Accounts:
    """One user per role (and the department, provider and subject they need)."""
    return make_accounts(session)
