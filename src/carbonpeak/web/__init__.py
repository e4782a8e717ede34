"""The dashboard (驾驶舱) and carbon map: static pages served next to the API.

The pages are plain ES modules under ``static/`` (no build step). Their libraries, ECharts,
MapLibre GL and pmtiles (the offline base map's protocol), come from npm
(``frontend/package-lock.json``, installed by ``make setup``) and are served from
``node_modules`` under ``/vendor/``; nothing is fetched from the internet, so the dashboard
works on an intranet. So do the API docs (``/api/v1/docs``): Swagger UI from npm
(``swagger-ui-dist``), under the same Content-Security-Policy.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from carbonpeak.config import Settings

__all__ = ["DOCS_LIBS", "DOCS_URL", "STATIC_DIR", "VENDOR_LIBS", "mount_dashboard",
           "vendor_dir"]

STATIC_DIR = Path(__file__).parent / "static"
#: URL name -> folder inside node_modules that is served (the dashboard's libraries)
VENDOR_LIBS = {"echarts": "echarts/dist", "maplibre-gl": "maplibre-gl/dist",
               "pmtiles": "pmtiles/dist"}
#: the same for the API docs' Swagger UI
DOCS_LIBS = {"swagger-ui": "swagger-ui-dist"}
#: where the API docs are served
DOCS_URL = "/api/v1/docs"

_DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>carbonpeak API 接口文档</title>
<link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script>
</body></html>
"""

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
    """Serve ``/`` (the single-page dashboard), ``/static``, ``/vendor/<lib>`` and the API
    docs (``/api/v1/docs``; create the app with ``docs_url=None``)."""
    root = vendor_dir(settings)
    missing = [lib for lib, sub in VENDOR_LIBS.items() if not (root / sub).is_dir()]
    docs_missing = [lib for lib, sub in DOCS_LIBS.items() if not (root / sub).is_dir()]
    for lib, sub in {**VENDOR_LIBS, **DOCS_LIBS}.items():
        if lib not in missing and lib not in docs_missing:
            app.mount(f"/vendor/{lib}", StaticFiles(directory=root / sub), name=f"vendor-{lib}")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    csp = _csp(settings)

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> Response:
        if missing:
            return HTMLResponse(_MISSING.format(missing=", ".join(missing)), 503)
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get(DOCS_URL, include_in_schema=False, response_model=None)
    def api_docs() -> Response:
        if docs_missing:
            return HTMLResponse(_MISSING.format(missing=", ".join(docs_missing)), 503)
        return HTMLResponse(_DOCS)

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        response: Response = await call_next(request)
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Content-Security-Policy", csp)  # the API docs' page too
        if request.url.path.startswith("/api/"):
            h.setdefault("Cache-Control", "no-store")
        return response
