"""Import street boundaries from GeoJSON, and make approximate ones for a demo.

A FeatureCollection with one Polygon or MultiPolygon feature per street, in WGS84
longitude/latitude. Each feature names its street in ``properties`` by ``code``, ``name_zh``
or ``name_en``. The whole file is checked before anything is stored. Each bad feature is
reported with its index (``features[i]``) and field, and a file with any error stores
nothing. Re-importing the same file changes nothing; every change is audit-logged.

Besides its structure, each polygon is checked with shapely and pyproj: it must be valid
(no self-intersection; shapely's reason is given), lie inside China's extent, have a plausible
area for a street (:data:`AREA_KM2`, geodesic on WGS84) and lie near the street's recorded
location when the registry has one (:data:`NEAR_KM`). A feature naming no known street gets a
did-you-mean (by code, Chinese or English name). ``dry_run`` checks it all and answers the
preview (each feature's street, how it was matched, its area) without storing anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import Point, shape
from shapely.ops import nearest_points
from shapely.validation import explain_validity

from carbonpeak.domain.voronoi import voronoi_cells
from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message, msg
from carbonpeak.intake.formats.parsing import suggest
from carbonpeak.storage.registry.models import Street
from carbonpeak.storage.registry.repositories import intake as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["approximate_boundaries", "import_boundaries", "validate_geometry"]

MAX_BYTES = 50 * 1024 * 1024
#: China's extent (lon_min, lat_min, lon_max, lat_max), rounded outwards from the commonly
#: cited extreme points (73°33'E, 135°05'E, 3°51'N, 53°33'N); secondary (encyclopaedic), and
#: used only to catch swapped or projected coordinates
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
#: a street's (街道) plausible area in km²: a project default, unverified (街道 range from
#: well under 1 km² in old city centres to a few hundred km² at the edges of a city)
AREA_KM2 = (0.01, 1000.0)
#: how far (km) a street's polygon may lie from its recorded location: a project default,
#: unverified (a recorded location is the street office, inside the street)
NEAR_KM = 10.0
_GEOD = Geod(ellps="WGS84")


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


def _area_km2(geom: shapely.Geometry) -> float:
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return abs(float(area)) / 1e6


def _distance_km(geom: shapely.Geometry, lon: float, lat: float) -> float:
    here = Point(lon, lat)
    if geom.covers(here):
        return 0.0
    near = nearest_points(geom, here)[0]
    _az1, _az2, metres = _GEOD.inv(lon, lat, near.x, near.y)
    return float(metres) / 1000.0


def _plausibility(geom: dict[str, Any], st: Street) -> tuple[Message | None, float | None]:
    """Why a structurally sound polygon is not a plausible boundary of ``st`` (shapely), and
    its area in km²."""
    g = shape(geom)
    if not g.is_valid:
        return msg("intake.geo.invalid", reason=explain_validity(g)), None
    lon0, lat0, lon1, lat1 = g.bounds
    if not (CHINA_BOUNDS[0] <= lon0 and lon1 <= CHINA_BOUNDS[2]
            and CHINA_BOUNDS[1] <= lat0 and lat1 <= CHINA_BOUNDS[3]):
        return msg("intake.geo.outside_china",
                   bounds=f"{lon0:.4f}, {lat0:.4f}, {lon1:.4f}, {lat1:.4f}"), None
    area = _area_km2(g)
    if not AREA_KM2[0] <= area <= AREA_KM2[1]:
        return msg("intake.geo.area", area=round(area, 3), low=AREA_KM2[0],
                   high=AREA_KM2[1]), area
    if st.lon is not None and st.lat is not None:
        far = _distance_km(g, float(st.lon), float(st.lat))
        if far > NEAR_KM:
            return msg("intake.geo.far", km=round(far, 1), limit=NEAR_KM), area
    return None, area


def _street_key(props: dict[str, Any]) -> tuple[str | None, str | None]:
    """The value naming the feature's street, and the property it came from."""
    for k in ("code", "name_zh", "name_en", "name"):
        if props.get(k) not in (None, ""):
            return str(props[k]), k
    return None, None


def import_boundaries(ws: Workspace, source: Path | dict[str, Any], *,
                      district: str | None = None, approximate: bool = False,
                      note: str = "", dry_run: bool = False) -> dict[str, Any]:
    """Store the street polygons of a GeoJSON FeatureCollection (all or nothing).

    Returns ``{"updated": n, "unchanged": m}``; a ``dry_run`` stores nothing and also answers
    ``features``: per feature its index, the street (code, names), the property it was matched
    by, its area in km² and whether importing it would change the stored boundary.

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
        streets = repo.streets_of_district(s, d.id)
        by_key: dict[str, Street] = {}
        for one in streets:
            for k in (one.code, one.name_zh, one.name_en):
                by_key.setdefault(k, one)
        chosen: dict[int, tuple[Street, dict[str, Any]]] = {}
        preview: list[dict[str, Any]] = []
        for i, f in enumerate(doc["features"]):
            props = f.get("properties") if isinstance(f, dict) else None
            props = props if isinstance(props, dict) else {}
            key, matched_by = _street_key(props)
            found = by_key.get(key) if key is not None else None
            if found is None:
                hint = suggest(key, list(by_key)) if key else None
                errors.append(RowError(
                    name, None, f"features[{i}].properties.{matched_by or 'code'}", key,
                    msg("intake.geo.no_street_suggest", key=repr(key), district=d.id,
                        suggestion=hint) if hint
                    else msg("intake.geo.no_street", key=repr(key), district=d.id)
                    if key else msg("intake.geo.names_no_street")))
                continue
            st = found
            problem = validate_geometry(f.get("geometry"))
            area = None
            if problem is None:
                problem, area = _plausibility(f["geometry"], st)
            if problem:
                errors.append(RowError(name, None, f"features[{i}].geometry", st.code,
                                       problem))
                continue
            if st.id in chosen:
                errors.append(RowError(name, None, f"features[{i}].properties.{matched_by}",
                                       st.code, msg("intake.geo.twice")))
                continue
            chosen[st.id] = (st, f["geometry"])
            preview.append({"feature": i, "street": st.code, "name_zh": st.name_zh,
                            "name_en": st.name_en, "matched_by": matched_by,
                            "key": key, "area_km2": area})
        if errors:
            raise InputValidationError(errors)
        updated = 0
        src = note or name
        changes = {st.code: not (st.boundary == geom and st.boundary_approximate == approximate
                                 and st.boundary_source == src)
                   for st, geom in chosen.values()}
        if dry_run:
            s.rollback()
            n = sum(changes.values())
            return {"updated": n, "unchanged": len(chosen) - n,
                    "features": [{**f, "changed": changes[f["street"]]} for f in preview]}
        for st, geom in chosen.values():
            if not changes[st.code]:
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
