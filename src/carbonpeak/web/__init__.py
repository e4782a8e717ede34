"""The dashboard (驾驶舱) and carbon map: static pages served next to the API.

The pages are plain ES modules under ``static/`` (no build step). Their libraries, ECharts and
MapLibre GL, come from npm (``frontend/package-lock.json``, installed by ``make setup``) and are
served from ``node_modules`` under ``/vendor/``; nothing is fetched from the internet, so the
dashboard works on an intranet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from carbonpeak.config import Settings

__all__ = ["STATIC_DIR", "VENDOR_LIBS", "mount_dashboard", "vendor_dir"]

STATIC_DIR = Path(__file__).parent / "static"
#: URL name -> folder inside node_modules that is served
VENDOR_LIBS = {"echarts": "echarts/dist", "maplibre-gl": "maplibre-gl/dist"}

_MISSING = """<!doctype html><meta charset="utf-8"><title>carbonpeak</title>
<h1>前端依赖未安装 / Front-end libraries are not installed</h1>
<p>运行 <code>make setup</code>（执行 <code>npm ci --prefix frontend</code>），或设置
<code>CARBONPEAK_VENDOR_DIR</code>。 / Run <code>make setup</code> or set
<code>CARBONPEAK_VENDOR_DIR</code> to a <code>node_modules</code> folder.</p>
<p>Missing: {missing}</p>"""


def vendor_dir(settings: Settings) -> Path:
    """The ``node_modules`` folder the dashboard's libraries are served from."""
    if settings.vendor_dir is not None:
        return settings.vendor_dir
    return Path(__file__).resolve().parents[3] / "frontend" / "node_modules"


def _csp(settings: Settings) -> str:
    tiles = ""
    if settings.map_tile_url:  # MapLibre fetches raster tiles: connect-src as well as img-src
        from urllib.parse import urlsplit

        parts = urlsplit(settings.map_tile_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
            f"child-src blob:; img-src 'self' data: blob:{tiles}; "
            "style-src 'self' 'unsafe-inline'; "
            f"connect-src 'self'{tiles}; font-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def mount_dashboard(app: FastAPI, settings: Settings) -> None:
    """Serve ``/`` (the single-page dashboard), ``/static`` and ``/vendor/<lib>``."""
    root = vendor_dir(settings)
    missing = [lib for lib, sub in VENDOR_LIBS.items() if not (root / sub).is_dir()]
    for lib, sub in VENDOR_LIBS.items():
        if lib not in missing:
            app.mount(f"/vendor/{lib}", StaticFiles(directory=root / sub), name=f"vendor-{lib}")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    csp = _csp(settings)

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> Response:
        if missing:
            return HTMLResponse(_MISSING.format(missing=", ".join(missing)), 503)
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        response: Response = await call_next(request)
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/api/v1/docs"):
            h.setdefault("Content-Security-Policy", csp)
        if request.url.path.startswith("/api/"):
            h.setdefault("Cache-Control", "no-store")
        return response
