"""Answers of the reference-value verification routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from carbonpeak.api.schemas.common import Page, Public

__all__ = ["VerificationPublic", "VerificationsPublic"]


class VerificationPublic(Public):
    """A verification: what was checked (kind, target, values) against which document."""

    id: int
    kind: str
    target: str
    checked_values: dict[str, Any]
    document_no: str
    document_date: dt.date
    clause: str
    note: str
    file_name: str | None
    file_sha256: str | None
    file_size: int | None
    verified_by: str
    verified_at: dt.datetime
    withdrawn_by: str | None
    withdrawn_at: dt.datetime | None
    current: bool


VerificationsPublic = Page[VerificationPublic]
