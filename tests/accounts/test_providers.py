"""The providers accounts keeps for ingest: their codes by id."""

from __future__ import annotations

import warnings

from sqlalchemy.orm import Session

from xinyong.accounts import service
from xinyong.core.db import Database


def test_provider_codes_maps_every_provider_id_to_its_code(db: Database, session: Session) -> None:
    assert service.provider_codes(session) == {}
    made = [
        service.create_provider(session, code, name)[0] for code, name in (("tz_a", "甲局"), ("tz_b", "乙局"))
    ]
    session.commit()
    # No deprecated SQLAlchemy API on the way (Result.tuples() warns since 2.1).
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        codes = service.provider_codes(session)
    assert codes == {p.id: p.code for p in made}
