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
    """

    model_config = SettingsConfigDict(env_prefix="CARBONPEAK_", extra="ignore")

    home: Path = Field(default=Path("carbonpeak-data"))
    database_url: str | None = None

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
