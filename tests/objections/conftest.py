"""Fixtures of the objections tests: the lists tests' small city (subjects, departments) and cheap
password hashing for the API tests' accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from xinyong.core.settings import reset_settings


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XINYONG_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("XINYONG_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINYONG_ARGON2_PARALLELISM", "1")
    monkeypatch.setenv("XINYONG_RATE_LIMIT_PER_MINUTE", "0")
    reset_settings()
    yield


@pytest.fixture
def city(session: Session) -> h.City:
    return h.build_city(session)
