"""Fixtures and helpers several test packages share. A conftest takes a fixture by importing it
(``from tests.fixtures import _cheap_hashing, city  # noqa: F401``), so it applies only where a
package asks for it: the rate-limit tests need the limit left as configured."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.lists import helpers as h
from xinyong.accounts import service as accounts
from xinyong.core.settings import reset_settings
from xinyong.ledger.integrity import CheckReport


def cheap_hashing(monkeypatch: pytest.MonkeyPatch, *, rate_limit_off: bool = True) -> None:
    """Cheap argon2 parameters for the accounts the tests create (the production cost is the
    default); with ``rate_limit_off`` no per-IP rate limit either (one test client makes many
    calls)."""
    monkeypatch.setenv("XINYONG_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("XINYONG_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("XINYONG_ARGON2_PARALLELISM", "1")
    if rate_limit_off:
        monkeypatch.setenv("XINYONG_RATE_LIMIT_PER_MINUTE", "0")
    reset_settings()


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    cheap_hashing(monkeypatch)
    yield


@pytest.fixture
def city(session: Session) -> h.City:
    """The lists tests' small city (subjects, departments)."""
    return h.build_city(session)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_headers(session: Session, name: str, role: str, scopes: list[str], **owner: Any) -> dict[str, str]:
    """Headers of a new API key (``owner``: its subject_code, provider_code or department_code)."""
    return bearer(accounts.create_api_key(session, name=name, role=role, scopes=scopes, **owner)[1])


def verified(
    session: Session, verifier: Callable[[Session, CheckReport], object], name: str, title_zh: str
) -> CheckReport:
    """What one data verifier (``xinyong ledger verify``) reports on the session's store."""
    report = CheckReport(name, title_zh)
    verifier(session, report)
    return report
