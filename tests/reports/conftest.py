from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.fixtures import cheap_hashing
from tests.portal.seed import City, build_city
from xinyong.core.settings import reset_settings


@pytest.fixture(autouse=True)
def _report_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One report key for the whole run (an RSA key takes a moment to make), cheap password
    hashing for the accounts tests create, no per-IP rate limit."""
    var = Path(tmp_path_factory.getbasetemp()) / "report-var"
    monkeypatch.setenv("XINYONG_VAR_DIR", str(var))
    cheap_hashing(monkeypatch)
    yield
    reset_settings()


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)
