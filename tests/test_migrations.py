"""Migrations, not create_all: the models and the migration history agree, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from carbonpeak.errors import ConfigError
from carbonpeak.storage.registry.db import Registry
from carbonpeak.storage.registry.models import Base

# the migration history on both databases
pytestmark = pytest.mark.contract


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


def test_0004_gives_old_audit_entries_their_district(database_url):
    """One district: every old entry but the shared factor-set versions becomes its."""
    import sqlalchemy as sa
    from alembic import command

    from carbonpeak.storage.registry.db import alembic_config

    reg = Registry(database_url)
    command.upgrade(alembic_config(database_url), "0003")
    with reg.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO districts (id, name_zh, name_en, province, timezone, grid_region, "
            "default_factor_set, profile, created_at) VALUES ('huangpu', '黄浦区', 'Huangpu', "
            "'Shanghai', 'Asia/Shanghai', 'East', 'x', '{}', '2024-01-01')"))
        for object_type in ("factor_set", "entity"):
            conn.execute(sa.text(
                "INSERT INTO audit_log (at, actor, action, object_type, object_id, details) "
                "VALUES ('2024-01-01', 'cli', 'create', :t, 'x', '{}')"), {"t": object_type})
    reg.upgrade()
    with reg.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT object_type, district_id FROM audit_log")).all())
    assert rows == {"factor_set": None, "entity": "huangpu"}
    reg.dispose()
