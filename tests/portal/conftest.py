from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.fixtures import cheap_hashing
from tests.portal.console_seed import ConsoleCity, build_console_city
from tests.portal.live import chromium
from tests.portal.seed import City, build_city
from xinyong.core.settings import PROJECT_ROOT


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cheap argon2 parameters for the accounts the signed-in page tests create (the production
    cost is the default), and no per-IP rate limit (one test client makes many calls)."""
    cheap_hashing(monkeypatch)
    yield


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)


@pytest.fixture
def console_city(session: Session) -> ConsoleCity:
    return build_console_city(session)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    with chromium() as b:
        yield b


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where screenshots go: a temporary folder, or with ``XINYONG_SCREENSHOTS=1`` (and on the
    SQLite run only) ``docs/screenshots/``."""
    if os.environ.get("XINYONG_SCREENSHOTS") == "1" and "sqlite" in request.node.name:
        out = PROJECT_ROOT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path
