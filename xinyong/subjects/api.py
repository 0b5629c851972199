"""HTTP API of the subjects domain (thin: it calls the service)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["subjects"])
