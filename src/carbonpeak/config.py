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
