"""The answers of the API as pydantic models, one module per area: each route declares
its model as ``response_model`` (the hot endpoints still answer with ``fast_json``; a test
validates their real answers against these models).

Names: ``XPublic`` is one object, ``XsPublic`` a list (``Page[XPublic]``: items, total,
limit, offset, plus what the list adds)."""

from carbonpeak.api.schemas.common import Detail, Page, Public, Row

__all__ = ["Detail", "Page", "Public", "Row"]
