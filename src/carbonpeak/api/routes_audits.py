"""API: Energy audits (能源审计), the 5-year audit schedule and key units' obligations checklist.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["public buildings"])
