"""The carbon map's offline base map: ``carbonpeak map import-basemap FILE.pmtiles``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carbonpeak.cli.common import _errors, _workspace, app, say

map_app = typer.Typer(help="The carbon map 碳排放地图: its offline base map.")
app.add_typer(map_app, name="map")


@map_app.command("import-basemap")
def import_basemap_cmd(
    file: Annotated[Path, typer.Argument(help="A PMTiles (version 3) archive: raster tiles "
                                         "(PNG, JPEG, WebP) or vector tiles (MVT)")],
) -> None:
    """离线底图 — copy a PMTiles archive into the home as the map's base layer (admin;
    replaces the previous one; audit-logged). The API serves it to the dashboard."""
    from carbonpeak.publish.basemap import import_basemap

    with _errors(), _workspace() as ws:
        info = import_basemap(ws, file)
        say("cli.basemap.stored", file=file.name, type=info["tile_type"],
            minzoom=info["minzoom"], maxzoom=info["maxzoom"], size=f"{info['size']:,}",
            sha=info["sha256"][:12], path=str(info["path"]))
