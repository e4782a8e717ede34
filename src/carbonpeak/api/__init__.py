"""The HTTP API (FastAPI), versioned under ``/api/v1``.

中文：HTTP 接口。
"""

from carbonpeak.api.app import create_app

__all__ = ["create_app"]
