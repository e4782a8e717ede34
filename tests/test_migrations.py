"""Migrations, not create_all: the models and the migration history agree, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from carbonpeak.errors import ConfigError
from carbonpeak.registry.db import Registry
from carbonpeak.registry.models import Base


def test_models_match_migrations(database_url):
    reg = Registry(database_url)
    reg.upgrade()
    with reg.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    reg.dispose()


def test_unmigrated_registry_is_refused(database_url):
    reg = Registry(database_url)
    with pytest.raises(ConfigError, match="carbonpeak init"):
        reg.check_current()
    reg.upgrade()
    reg.check_current()
    reg.upgrade()  # idempotent
    reg.dispose()
