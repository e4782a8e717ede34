"""Answers of sign-in and who-am-I (``routes/auth.py``) and of the health check."""

from __future__ import annotations

from carbonpeak.api.schemas.common import Public

__all__ = ["HealthPublic", "LoginPublic", "MePublic", "SignedInUserPublic"]


class SignedInUserPublic(Public):
    """The signed-in user as the page shows it: role, district, street, entities."""

    username: str
    display_name: str
    role: str
    district: str
    district_name_zh: str
    district_name_en: str
    street_id: int | None
    street_code: str | None
    street_name_zh: str | None
    street_name_en: str | None
    entities: list[str]


class MePublic(Public):
    """The signed-in user and, for a browser session, its CSRF token (both null when not
    signed in)."""

    user: SignedInUserPublic | None
    csrf_token: str | None


class LoginPublic(Public):
    """A new session: the user, the CSRF token for changes and when the session ends."""

    user: SignedInUserPublic
    csrf_token: str
    expires_at: str


class HealthPublic(Public):
    """Liveness."""

    status: str
    version: str
