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


def test_0007_keeps_data_of_referenced_tables_and_checks_the_lists(database_url):
    """The vocabulary's CHECK constraints come in over data (on SQLite by rebuilding tables
    that others reference, after another migration in the same run), and the registry then
    refuses a value outside a list."""
    import datetime as dt

    import sqlalchemy as sa
    from alembic import command

    from carbonpeak.storage.registry.db import alembic_config
    from carbonpeak.storage.registry.models import (
        ApiToken,
        District,
        Entity,
        IngestBatch,
        LakeFile,
        Meter,
        Target,
        TargetObservation,
        User,
    )

    reg = Registry(database_url)
    command.upgrade(alembic_config(database_url), "0005")  # 0006 runs first, in the same go
    with reg.session() as s:
        s.add(District(id="huangpu", name_zh="黄浦区", name_en="Huangpu", province="Shanghai",
                       grid_region="East", default_factor_set="x"))
        s.flush()
        s.add(Entity(id="E1", district_id="huangpu", name="one", kind="building"))
        s.flush()
        s.add(Meter(id="M1", entity_id="E1", carrier="electricity", unit="kWh",
                    register="interval"))
        u = User(username="admin", role="district_admin", district_id="huangpu")
        b = IngestBatch(district_id="huangpu", kind="readings", source_name="r.csv",
                        sha256="0" * 64, status="committed", actor="cli")
        t = Target(district_id="huangpu", code="T1", scope_id="huangpu", indicator_zh="x",
                   kind="share")
        s.add_all([u, b, t])
        s.flush()
        s.add_all([ApiToken(user_id=u.id, token_hash="1" * 64, prefix="cp_"),
                   LakeFile(batch_id=b.id, district_id="huangpu", dataset="readings",
                            month="2024-01", path="x.parquet", row_count=1, status="live"),
                   TargetObservation(target_id=t.id, observed_on=dt.date(2024, 1, 1),
                                     value=1.0, source="x", actor="cli")])
    reg.upgrade()
    with reg.engine.connect() as conn:
        counts = [conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
                  for name in ("entities", "meters", "users", "api_tokens", "ingest_batches",
                               "lake_files", "targets", "target_observations")]
        if conn.dialect.name == "sqlite":
            assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    assert counts == [1] * 8
    with pytest.raises(sa.exc.IntegrityError), reg.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET role = 'superuser'"))
    command.downgrade(alembic_config(database_url), "0006")
    with reg.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET role = 'superuser'"))
    reg.dispose()
