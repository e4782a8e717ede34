"""Import street boundaries from GeoJSON, and make approximate ones for a demo.

A FeatureCollection with one Polygon or MultiPolygon feature per street, in WGS84
longitude/latitude. Each feature names its street in ``properties`` by ``code``, ``name_zh``
or ``name_en``. The whole file is checked before anything is stored. Each bad feature is
reported with its index (``features[i]``) and field, and a file with any error stores
nothing. Re-importing the same file changes nothing; every change is audit-logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from carbonpeak.domain.voronoi import voronoi_cells
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.storage.registry.models import Street
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["approximate_boundaries", "import_boundaries", "validate_geometry"]

MAX_BYTES = 50 * 1024 * 1024


def _ring_problem(ring: Any) -> Message | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return msg("intake.geo.ring_short")
    for pos in ring:
        if (not isinstance(pos, list) or len(pos) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool)
                           for v in pos[:2])):
            return msg("intake.geo.position", position=repr(pos))
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            return msg("intake.geo.outside", position=repr(pos))
    if ring[0][:2] != ring[-1][:2]:
        return msg("intake.geo.not_closed")
    return None


def validate_geometry(geom: Any) -> Message | None:
    """Why ``geom`` is not a valid Polygon/MultiPolygon (None when it is)."""
    if not isinstance(geom, dict):
        return msg("intake.geo.not_object")
    kind, coords = geom.get("type"), geom.get("coordinates")
    if kind == "Polygon":
        polys = [coords]
    elif kind == "MultiPolygon":
        polys = coords if isinstance(coords, list) else [None]
    else:
        return msg("intake.geo.type", kind=repr(kind))
    if not polys:
        return msg("intake.geo.no_polygons")
    for poly in polys:
        if not isinstance(poly, list) or not poly:
            return msg("intake.geo.polygon")
        for ring in poly:
            problem = _ring_problem(ring)
            if problem:
                return problem
    return None


def import_boundaries(ws: Workspace, source: Path | dict[str, Any], *,
                      district: str | None = None, approximate: bool = False,
                      note: str = "") -> dict[str, int]:
    """Store the street polygons of a GeoJSON FeatureCollection (all or nothing).

    Returns ``{"updated": n, "unchanged": m}``.

    Raises
    ------
    InputValidationError
        Unreadable JSON, not a FeatureCollection, a feature without a known street, a bad
        geometry, or one street given twice; every problem is listed with its feature.
    """
    name = source.name if isinstance(source, Path) else "(request body)"
    errors: list[RowError] = []
    if isinstance(source, Path):
        if source.stat().st_size > MAX_BYTES:
            raise InputValidationError([RowError(name, None, None, None,
                                                 msg("intake.geo.too_large"))])
        try:
            doc = json.loads(source.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputValidationError([RowError(name, None, None, None,
                                                 msg("intake.geo.not_geojson",
                                                     detail=str(exc)))]) from None
    else:
        doc = source
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise InputValidationError([RowError(name, None, "type", None,
                                             msg("intake.geo.not_collection"))])
    d = ws.district(district)
    with ws.registry.session() as s:
        streets = list(s.scalars(select(Street).where(Street.district_id == d.id)))
        by_key: dict[str, Street] = {}
        for one in streets:
            for k in (one.code, one.name_zh, one.name_en):
                by_key.setdefault(k, one)
        chosen: dict[int, tuple[Street, dict[str, Any]]] = {}
        for i, f in enumerate(doc["features"]):
            props = f.get("properties") if isinstance(f, dict) else None
            props = props if isinstance(props, dict) else {}
            key = next((str(props[k]) for k in ("code", "name_zh", "name_en", "name")
                        if props.get(k) not in (None, "")), None)
            found = by_key.get(key) if key is not None else None
            if found is None:
                errors.append(RowError(name, None, f"features[{i}].properties.code", key,
                                       msg("intake.geo.no_street", key=repr(key), district=d.id)
                                       if key else msg("intake.geo.names_no_street")))
                continue
            st = found
            problem = validate_geometry(f.get("geometry"))
            if problem:
                errors.append(RowError(name, None, f"features[{i}].geometry", st.code,
                                       problem))
                continue
            if st.id in chosen:
                errors.append(RowError(name, None, f"features[{i}].properties.code",
                                       st.code, msg("intake.geo.twice")))
                continue
            chosen[st.id] = (st, f["geometry"])
        if errors:
            raise InputValidationError(errors)
        updated = 0
        src = note or name
        for st, geom in chosen.values():
            if (st.boundary == geom and st.boundary_approximate == approximate
                    and st.boundary_source == src):
                continue
            st.boundary, st.boundary_approximate, st.boundary_source = geom, approximate, src
            updated += 1
            audit(s, ws.actor, "set_boundary", "street", st.code,
                  {"source": src, "approximate": approximate, "type": geom["type"]}, district=d.id)
        return {"updated": updated, "unchanged": len(chosen) - updated}


def approximate_boundaries(streets: list[dict[str, Any]], *, pad_deg: float = 0.008,
                           ) -> dict[str, Any]:
    """A FeatureCollection of approximate street polygons: Voronoi cells of the streets'
    centroids (``lat``/``lon``) in the padded bounding box. For demos; marked approximate."""
    # sorted by code: the same streets give the same polygons, bit for bit, in any order
    located = sorted((st for st in streets
                      if st.get("lat") is not None and st.get("lon") is not None),
                     key=lambda st: str(st["code"]))
    if not located:
        return {"type": "FeatureCollection", "features": []}
    lons = [float(st["lon"]) for st in located]
    lats = [float(st["lat"]) for st in located]
    box = (min(lons) - pad_deg, min(lats) - pad_deg, max(lons) + pad_deg, max(lats) + pad_deg)
    cells = voronoi_cells(list(zip(lons, lats, strict=True)), box)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "properties": {"code": st["code"], "name_zh": st.get("name_zh"),
                        "name_en": st.get("name_en"), "approximate": True},
         "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in cell]]}}
        for st, cell in zip(located, cells, strict=True) if cell]}
