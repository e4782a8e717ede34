"""The offline base map (离线底图): a PMTiles archive the admin imports into the home.

中文：离线底图——管理员导入的 PMTiles 文件，存于数据目录，由 API 按字节范围提供。

``carbonpeak map import-basemap FILE.pmtiles`` checks the archive's header (PMTiles version 3,
raster tiles: PNG, JPEG or WebP; or vector tiles, MVT), copies it into the home as
``basemap/basemap.pmtiles`` (atomically) and audit-logs the import with its size and sha256.
The API serves it at ``GET /api/v1/map/basemap.pmtiles`` with HTTP range requests (the pmtiles
protocol of the dashboard reads the header, the directories and each tile as byte ranges), to
any signed-in user. The map's style uses it when present, else the intranet tile URL setting
(``CARBONPEAK_MAP_TILE_URL``), else no base layer.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import Any

from carbonpeak.errors import InputValidationError, RowError
from carbonpeak.i18n import Message
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.storage.workspace import Workspace, audit

__all__ = ["BASEMAP_URL", "basemap_info", "basemap_path", "import_basemap", "read_header"]

#: where the dashboard reads the base map
BASEMAP_URL = "/api/v1/map/basemap.pmtiles"
#: PMTiles v3 tile types (header byte 99)
TILE_TYPES = {1: "mvt", 2: "png", 3: "jpeg", 4: "webp", 5: "avif"}
_HEADER = 127


def basemap_path(ws: Workspace) -> Path:
    """Where the imported base map is kept in the home."""
    return ws.settings.home / "basemap" / "basemap.pmtiles"


def read_header(path: Path) -> dict[str, Any]:
    """The PMTiles v3 header's tile type, zoom range, bounds and centre.

    Raises
    ------
    InputValidationError
        Not a PMTiles v3 archive, or tiles of an unknown type.
    """
    with path.open("rb") as f:
        head = f.read(_HEADER)

    def refuse(why: Message) -> InputValidationError:
        return InputValidationError([RowError(path.name, None, None, None, why)])

    if len(head) < _HEADER or head[:7] != b"PMTiles":
        raise refuse(i18n_msg("intake.basemap.not_pmtiles"))
    if head[7] != 3:
        raise refuse(i18n_msg("intake.basemap.version", version=head[7]))
    tile_type = TILE_TYPES.get(head[99])
    if tile_type is None:
        raise refuse(i18n_msg("intake.basemap.tile_type", code=head[99]))
    min_zoom, max_zoom = head[100], head[101]
    w, s, e, n = (v / 1e7 for v in struct.unpack_from("<iiii", head, 102))
    c_zoom = head[118]
    c_lon, c_lat = (v / 1e7 for v in struct.unpack_from("<ii", head, 119))
    return {"tile_type": tile_type, "raster": tile_type != "mvt", "minzoom": min_zoom,
            "maxzoom": max_zoom, "bounds": [w, s, e, n], "center": [c_lon, c_lat, c_zoom]}


def basemap_info(ws: Workspace) -> dict[str, Any] | None:
    """The imported base map's header and URL, or None."""
    path = basemap_path(ws)
    if not path.is_file():
        return None
    return read_header(path) | {"url": BASEMAP_URL, "size": path.stat().st_size,
                                "version": int(path.stat().st_mtime_ns)}


def import_basemap(ws: Workspace, source: Path) -> dict[str, Any]:
    """Copy a checked PMTiles archive into the home (replacing the previous one);
    audit-logged with its size and sha256."""
    if not source.is_file():
        raise InputValidationError([RowError(source.name, None, None, None,
                                             i18n_msg("intake.file.not_found"))])
    header = read_header(source)
    target = basemap_path(ws)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    sha = hashlib.sha256()
    with source.open("rb") as src, tmp.open("wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            sha.update(chunk)
            dst.write(chunk)
    os.replace(tmp, target)
    size = target.stat().st_size
    with ws.registry.session() as s:
        audit(s, ws.actor, "import", "basemap", "basemap.pmtiles",
              {"file": source.name, "size": size, "sha256": sha.hexdigest(), **header},
              district=None)
    return header | {"size": size, "sha256": sha.hexdigest(), "path": str(target)}
