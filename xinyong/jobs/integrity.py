"""The data checks of ``xinyong ledger verify``, assembled: each domain's verifier, registered
with the ledger's registry (``xinyong.ledger.integrity``). A new domain that ledgers its rows
adds one line here (docs/security.md, "Adding a verifier")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xinyong.core.db import Database
from xinyong.core.settings import get_settings
from xinyong.creditstate import integrity as creditstate_integrity
from xinyong.ledger import service as ledger
from xinyong.ledger.integrity import register_sealer, register_verifier, run_sealers
from xinyong.lists import integrity as lists_integrity
from xinyong.querylog import integrity as querylog_integrity
from xinyong.querylog import seals as querylog_seals
from xinyong.records import integrity as records_integrity
from xinyong.reports import integrity as reports_integrity


def register_verifiers() -> None:
    """Register every domain's verifier and sealer (idempotent)."""
    register_sealer("querylog", querylog_seals.seal)
    for verifier in (
        records_integrity.VERIFIER,
        querylog_integrity.VERIFIER,
        creditstate_integrity.VERIFIER,
        lists_integrity.VERIFIER,
        reports_integrity.VERIFIER,
    ):
        register_verifier(verifier)


def seal_and_checkpoint(session: Session) -> list[ledger.Checkpoint]:
    """Seal what the ledger does not cover yet (the query log), then sign checkpoints over every
    entry not yet checkpointed. The caller commits."""
    register_verifiers()
    run_sealers(session)
    return ledger.checkpoint_pending(session)


def checkpoint_now(db: Database) -> int:
    """``seal_and_checkpoint`` in its own transaction; returns how many checkpoints were signed."""
    with db.session() as session:
        return len(seal_and_checkpoint(session))


def checkpoint_if_due(session: Session) -> int:
    """After a submission (``core.events.catch_up``): checkpoint when at least
    ``checkpoint_after_entries`` entries are uncovered. Returns 0 (nothing for catch_up to repeat)."""
    threshold = get_settings().checkpoint_after_entries
    if threshold <= 0:
        return 0
    if ledger.uncovered_entries(session) >= threshold:
        seal_and_checkpoint(session)
        session.commit()
    return 0
