"""Settings, read once from the environment by the CLI (or passed in by tests)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Where carbonpeak keeps its data.

    Environment variables: ``CARBONPEAK_HOME`` (default ``./carbonpeak-data``) and
    ``CARBONPEAK_DATABASE_URL`` (default: a SQLite file ``registry.sqlite`` in the home).

    Early-warning notifications are off unless a webhook URL or e-mail recipients are set:
    ``CARBONPEAK_NOTIFY_WEBHOOK_URL``, ``CARBONPEAK_NOTIFY_EMAIL_TO`` (comma-separated) with
    ``CARBONPEAK_SMTP_HOST``/``_PORT``/``_FROM``, and ``CARBONPEAK_NOTIFY_MIN_LEVEL``
    (``yellow`` or ``red``). Warning thresholds: ``CARBONPEAK_WARNING_YELLOW_AT`` and
    ``CARBONPEAK_WARNING_RED_AT`` (projected ÷ budget).

    Web: ``CARBONPEAK_SESSION_HOURS`` (sign-in lifetime), ``CARBONPEAK_SESSION_IDLE_MINUTES``,
    ``CARBONPEAK_COOKIE_SECURE`` (send the session cookie over HTTPS only; set it behind TLS),
    ``CARBONPEAK_LOGIN_MAX_FAILURES`` (per username) and
    ``CARBONPEAK_LOGIN_MAX_FAILURES_PER_CLIENT`` (per client address) within
    ``CARBONPEAK_LOGIN_WINDOW_MINUTES``,
    ``CARBONPEAK_MAP_TILE_URL`` (an intranet raster tile URL such as
    ``https://tiles.example.gov.cn/{z}/{x}/{y}.png``; none by default: the map draws the
    district's own GeoJSON only) and ``CARBONPEAK_VENDOR_DIR`` (the npm ``node_modules`` the
    dashboard's libraries are served from; default ``frontend/node_modules`` of the checkout).

    Plausibility: ``CARBONPEAK_PLAUSIBILITY_CEILINGS`` (JSON, carrier → the most an entity uses
    in an hour, canonical unit) overrides the carriers' ceilings readings are refused above.

    MQTT ingester: ``CARBONPEAK_MQTT_USERNAME``/``_PASSWORD``, ``CARBONPEAK_MQTT_CA_FILE``,
    ``CARBONPEAK_MQTT_CERT_FILE``/``_KEY_FILE`` (client certificate).
    """

    model_config = SettingsConfigDict(env_prefix="CARBONPEAK_", extra="ignore")

    home: Path = Field(default=Path("carbonpeak-data"))
    database_url: str | None = None
    notify_webhook_url: str | None = None
    notify_email_to: str | None = None
    notify_min_level: str = Field(default="yellow", pattern="^(yellow|red)$")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "carbonpeak@localhost"
    warning_yellow_at: float = Field(default=0.95, gt=0)
    warning_red_at: float = Field(default=1.0, gt=0)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    session_idle_minutes: float = Field(default=120.0, gt=0)
    cookie_secure: bool = False
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    map_tile_url: str | None = Field(default=None, pattern=r"^https?://[^\s\"'<>]+$")
    vendor_dir: Path | None = None
    # carrier -> the most an entity uses in an hour (canonical unit); overrides the defaults
    # of carbonpeak.domain.plausibility.HOURLY_CEILINGS. CARBONPEAK_PLAUSIBILITY_CEILINGS is
    # JSON, e.g. {"electricity": 5e6}
    plausibility_ceilings: dict[str, float] = Field(default_factory=dict)
    # how `carbonpeak ingest mqtt` signs in to the broker (docs/feeds.md): user and password,
    # and/or TLS with a CA file and a client certificate and key
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_ca_file: str | None = None
    mqtt_cert_file: str | None = None
    mqtt_key_file: str | None = None

    @property
    def lake_dir(self) -> Path:
        """Root of the Parquet readings lake."""
        return self.home / "lake"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the registry."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'registry.sqlite').resolve()}"
