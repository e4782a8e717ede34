"""API: Retrofit and commissioning projects, daily weather and measured savings (M&V);
plan progress (改造面积, 节能率≥15% 面积, 调适数量).
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["public buildings"])
