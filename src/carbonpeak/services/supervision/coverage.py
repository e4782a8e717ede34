"""Spatial coverage indicators from imported GeoJSON (C12): the share within a radius of a
park or a rail station, recorded as the target's observation with the files as its source.

中文：由 GeoJSON 计算空间覆盖率指标（公园绿地 500 米、轨道站点 800 米），记为目标观测值。
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from carbonpeak.domain.supervision.coverage import Coverage, ResidentialArea, coverage_share
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import msg
from carbonpeak.services.plan.targets import add_observation, find_target
from carbonpeak.storage.workspace import Workspace

__all__ = ["COVERAGE_TARGETS", "record_coverage"]

#: target code -> radius (m) the plan names
COVERAGE_TARGETS = {"HP-28": 500.0, "TH-38": 800.0}


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputValidationError([RowError(path.name, None, "geojson", None, msg(
            "supervision.coverage.bad_geojson", error=str(exc)[:200]))]) from None
    feats = data.get("features") if isinstance(data, dict) else None
    if not isinstance(feats, list) or not feats:
        raise InputValidationError([RowError(path.name, None, "features", None,
                                             msg("supervision.coverage.no_features"))])
    return [f for f in feats if isinstance(f, dict)]


def record_coverage(ws: Workspace, code: str, *, residential: Path, facilities: Path,
                    observed_on: dt.date, radius_m: float | None = None,
                    district: str | None = None) -> Coverage:
    """Compute the coverage of target ``code`` (HP-28, TH-38) from a residential GeoJSON
    (polygons, property ``residents`` optional) and a facilities GeoJSON (parks or stations),
    and record it as the target's observation on ``observed_on``."""
    radius = radius_m or COVERAGE_TARGETS.get(code)
    if radius is None:
        raise InputValidationError([RowError("(request)", None, "radius_m", None,
                                             msg("supervision.coverage.radius_required"))])
    areas = []
    for i, f in enumerate(_features(residential), start=1):
        props = f.get("properties") or {}
        res = props.get("residents")
        if res is not None and not isinstance(res, (int, float)):
            raise InputValidationError([RowError(residential.name, i, "residents", str(res),
                                                 msg("supervision.coverage.bad_residents"))])
        areas.append(ResidentialArea(f["geometry"], None if res is None else float(res)))
    cov = coverage_share(areas, [f["geometry"] for f in _features(facilities)], radius)
    source = (f"空间覆盖率：{residential.name} × {facilities.name}，半径 {radius:g} 米，"
              f"按{'居住人口' if cov.weight == 'residents' else '居住面积'}计")
    add_observation(ws, find_target(ws, code, district=district), observed_on=observed_on,
                    value=round(cov.share_pct, 2), source=source)
    return cov
