"""HTTP API of the catalog domain (thin: it calls the service)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["catalog"])
