"""Spatial coverage indicators: the share of residents (or of residential area) within a
walking radius of a park (HP-28: 公园绿地 500 米服务半径) or of a rail station (TH-38: 轨道交通
站点 800 米半径服务覆盖率).

中文：空间覆盖率指标：公园绿地 500 米、轨道站点 800 米服务半径覆盖的居住人口（或居住面积）比例。

Rule: every geometry is projected from WGS 84 (GeoJSON) to a metric projection (a transverse
Mercator centred on the features, via pyproj), the facilities are buffered by the radius
(shapely), and each residential feature counts by the part of its area inside the buffers:
its residents × covered area / its area (residents spread evenly over the feature, an
assumption), or its covered area when no residents are given. Straight-line distance, not
the walking network (a simplification the plans' 服务半径 also makes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyproj
import shapely
from shapely.geometry import shape

__all__ = ["Coverage", "ResidentialArea", "coverage_share", "local_metric_crs"]


@dataclass(frozen=True)
class ResidentialArea:
    """A residential feature: its GeoJSON geometry (WGS 84) and its residents (None: weigh
    by area)."""

    geometry: dict[str, Any]
    residents: float | None = None


@dataclass(frozen=True)
class Coverage:
    """The share covered (%) and what it was weighed by."""

    share_pct: float
    covered: float
    total: float
    weight: str  # "residents" or "area_m2"
    radius_m: float


def local_metric_crs(lon: float, lat: float) -> pyproj.CRS:
    """A transverse Mercator centred on (lon, lat): metres, little distortion nearby."""
    return pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat} +lon_0={lon} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m")


def coverage_share(areas: Sequence[ResidentialArea],
                   facilities: Sequence[dict[str, Any]], radius_m: float) -> Coverage:
    """The share of residents (every area has residents) or of residential area within
    ``radius_m`` of any facility (GeoJSON geometries: points, lines or polygons)."""
    if radius_m <= 0:
        msg = "the radius must be positive"
        raise ValueError(msg)
    if not areas:
        msg = "no residential areas"
        raise ValueError(msg)
    geoms = [shape(a.geometry) for a in areas]
    centre = shapely.union_all(geoms).centroid
    tr = pyproj.Transformer.from_crs("EPSG:4326", local_metric_crs(centre.x, centre.y),
                                     always_xy=True)
    homes = list(shapely.transform(geoms, tr.transform, interleaved=False))
    sites = shapely.transform([shape(f) for f in facilities], tr.transform, interleaved=False)
    reach = shapely.union_all(shapely.buffer(sites, radius_m)) if facilities else None
    by_residents = all(a.residents is not None for a in areas)
    covered = total = 0.0
    for a, g in zip(areas, homes, strict=True):
        inside = g.intersection(reach).area if reach is not None else 0.0
        part = inside / g.area if g.area > 0 else 0.0
        w = float(a.residents) if by_residents and a.residents is not None else g.area
        covered += w * part
        total += w
    share = 100.0 * covered / total if total > 0 else 0.0
    return Coverage(share, covered, total, "residents" if by_residents else "area_m2",
                    radius_m)
