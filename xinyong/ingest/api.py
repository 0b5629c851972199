"""HTTP API of the ingest domain (thin: it calls the service)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["ingest"])
