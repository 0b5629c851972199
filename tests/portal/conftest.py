from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.portal.seed import City, build_city


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)
