"""API: Commissioning candidates (调适) from stored interval data, with the evidence per building.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["public buildings"])
