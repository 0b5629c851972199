"""Public HTTP API of the ledger: checkpoints, the public key and inclusion proofs.

All of it is public on purpose: anyone may archive the signed checkpoints and check a proof
offline with ``docs/verify_ledger_proof.py``. Proofs carry the payload hash, never the payload.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.core.deps import get_session
from xinyong.core.params import DB_ID_MAX, DbId
from xinyong.ledger import service as ledger
from xinyong.ledger.schemas import CheckpointList, CheckpointOut, ProofOut, PublicKeyOut

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


@router.get("/checkpoints", response_model=CheckpointList, summary="已签名的账本检查点")
def checkpoints(
    after_id: int = Query(0, ge=0, le=DB_ID_MAX, description="list checkpoints with a larger id"),
    limit: int = Query(100, ge=1, le=1000),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    items = ledger.list_checkpoints(session, after_id=after_id, limit=limit)
    return {
        "items": [CheckpointOut(**ledger.checkpoint_document(cp)) for cp in items],
        "next_after_id": items[-1].id if len(items) == limit else None,
    }


@router.get("/public-key", response_model=PublicKeyOut, summary="检查点签名公钥")
def public_key() -> dict[str, Any]:
    return ledger.public_key_info()


@router.get("/proof/{seq}", response_model=ProofOut, summary="账本条目的包含证明")
def proof_by_seq(seq: DbId, session: Session = Depends(get_session, scope="function")) -> dict[str, Any]:
    return ledger.inclusion_proof(session, seq).to_dict()


@router.get("/proof", response_model=ProofOut, summary="按引用（如 record:123/v2）取最新条目的包含证明")
def proof_by_ref(
    ref: str = Query(..., min_length=1, max_length=200, examples=["record:123/v2"]),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    return ledger.proof_for_ref(session, ref).to_dict()
