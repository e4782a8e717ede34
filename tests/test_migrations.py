"""Migrations, not create_all: the models and the migration history agree, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from carbonpeak.errors import ConfigError
from carbonpeak.storage.registry.db import Registry
from carbonpeak.storage.registry.models import Base

# the migration history on both databases
pytestmark = [pytest.mark.contract, pytest.mark.real_migrations]


def test_models_match_migrations(database_url):
    reg = Registry(database_url)
    reg.upgrade()
    with reg.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    reg.dispose()


def test_check_constraints_hold_the_vocabularys_lists(database_url):
    """Every closed list's CHECK in the migrated registry allows exactly the values of its
    enum in the models (alembic's compare does not look into CHECKs: a migration that rewrites
    a list, e.g. the batch kinds, must keep what an earlier one added)."""
    import re

    import sqlalchemy as sa

    reg = Registry(database_url)
    reg.upgrade()
    inspector = sa.inspect(reg.engine)
    compared = 0
    for table in Base.metadata.sorted_tables:
        in_db = {c["name"]: set(re.findall(r"'([^']*)'", c["sqltext"]))
                 for c in inspector.get_check_constraints(table.name)}
        for constraint in [*table.constraints, *(c for col in table.columns
                                                 for c in col.constraints)]:
            if not isinstance(constraint, sa.CheckConstraint) or " IN (" not in str(
                    constraint.sqltext):
                continue
            name = str(constraint.name)  # the naming convention's ck_<table>_<name>
            name = name if name in in_db else f"ck_{table.name}_{name}"
            assert name in in_db, f"{table.name}: no {name} in the migrated registry"
            assert in_db[name] == set(re.findall(r"'([^']*)'", str(constraint.sqltext))), name
            compared += 1
    assert compared > 20
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
        Entity,
        LakeFile,
        Target,
        TargetObservation,
    )

    reg = Registry(database_url)
    command.upgrade(alembic_config(database_url), "0005")  # 0006 runs first, in the same go
    with reg.session() as s:
        # a district as 0005 had it (districts.city_id came with 0022)
        s.execute(sa.text(
            "INSERT INTO districts (id, name_zh, name_en, province, timezone, grid_region, "
            "default_factor_set, profile, created_at) VALUES ('huangpu', '黄浦区', 'Huangpu', "
            "'Shanghai', 'Asia/Shanghai', 'East', 'x', '{}', '2024-01-01')"))
        s.flush()
        s.add(Entity(id="E1", district_id="huangpu", name="one", kind="building"))
        s.flush()
        # meters and batches as 0005 had them (the models have columns of later revisions)
        s.execute(sa.text(
            "INSERT INTO meters (id, entity_id, carrier, unit, register, multiplier, "
            "interval_minutes, created_at, updated_at) VALUES ('M1', 'E1', 'electricity', "
            "'kWh', 'interval', 1.0, 60, '2024-01-01', '2024-01-01')"))
        s.execute(sa.text(
            "INSERT INTO ingest_batches (district_id, kind, source_name, sha256, status, "
            "rows_in, rows_written, rows_overlapping, rows_replaced, rows_rejected, channel, "
            "message, actor, created_at) VALUES ('huangpu', 'readings', 'r.csv', :sha, "
            "'committed', 0, 0, 0, 0, 0, 'file', '', 'cli', '2024-01-01')"), {"sha": "0" * 64})
        batch_id = s.execute(sa.text("SELECT id FROM ingest_batches")).scalar_one()
        # a user as 0005 had it (users.org_code came with 0015)
        s.execute(sa.text(
            "INSERT INTO users (username, display_name, role, district_id, active, created_at) "
            "VALUES ('admin', '', 'district_admin', 'huangpu', :yes, '2024-01-01')"),
            {"yes": True})
        user_id = s.execute(sa.text("SELECT id FROM users")).scalar_one()
        t = Target(district_id="huangpu", code="T1", scope_id="huangpu", indicator_zh="x",
                   kind="share")
        s.add(t)
        s.flush()
        s.add_all([ApiToken(user_id=user_id, token_hash="1" * 64, prefix="cp_"),
                   LakeFile(batch_id=batch_id, district_id="huangpu", dataset="readings",
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


# Reasons as the code wrote them before 0008 (zh, en), from tests/test_early_warning.py and the
# plan pipelines: each becomes a code with parameters and renders the same text again.
_OLD_REASONS = [
    ("预计全年1,100吨标准煤，预算1,000吨标准煤，超出10%；2月同比增长21%",
     "projected 1,100 tce against a budget of 1,000 tce: +10 %; "
     "February +21 % against February last year", "plan.warning.month_up"),
    ("预计全年1,800吨标准煤，预算2,000吨标准煤，低于预算10%；按月均值外推（上年同期数据不可用）",
     "projected 1,800 tce against a budget of 2,000 tce: −10 %; "
     "run-rate projection (no usable prior-year months)", "plan.warning.run_rate"),
    ("未设定预算；预计全年968吨标准煤", "no budget set; projected 968 tce",
     "plan.warning.no_budget.value"),
    ("本年暂无数据；预算500吨标准煤", "no data this year; budget 500 tce", "plan.warning.no_data"),
    ("全年实际1,100吨二氧化碳，预算1,000吨二氧化碳，超出10%；1月同比增长2,100%",
     "actual for the year 1,100 tCO2 against a budget of 1,000 tCO2: +10 %; January +2,100 % "
     "against January last year", "plan.warning.month_up"),
    ("全年实际1,200吨标准煤，预算1,200吨标准煤，与预算持平；1月同比持平",
     "actual for the year 1,200 tce against a budget of 1,200 tce: 0 %; January 0 % "
     "against January last year", "plan.warning.month_even"),
    ("未设定预算；本年暂无数据", "no budget set; no data this year",
     "plan.warning.no_budget.no_data"),
    ("某个手写的原因", "a reason typed by hand", "plan.legacy"),
]


def test_0008_stores_old_reasons_as_codes(database_url):
    """Old rendered reasons become code + parameters and render the same texts again; a text
    the migration does not know is kept as it is (``plan.legacy``)."""
    import json

    import sqlalchemy as sa
    from alembic import command

    from carbonpeak.i18n import Message, render
    from carbonpeak.storage.registry.db import alembic_config

    reg = Registry(database_url)
    command.upgrade(alembic_config(database_url), "0006")
    with reg.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO districts (id, name_zh, name_en, province, timezone, grid_region, "
            "default_factor_set, profile, created_at) VALUES ('huangpu', '黄浦区', 'Huangpu', "
            "'Shanghai', 'Asia/Shanghai', 'East', 'x', '{}', '2024-01-01')"))
        for n, (zh, en, _) in enumerate(_OLD_REASONS):
            conn.execute(sa.text(
                "INSERT INTO warnings (district_id, year, metric, scope_type, scope_id, "
                "scope_name, level, months_elapsed, reason_zh, reason_en, first_raised_at, "
                "updated_at) VALUES ('huangpu', 2024, 'energy_tce', 'entity', :sid, '', 'red', "
                "3, :zh, :en, '2024-04-01', '2024-04-01')"), {"sid": f"E{n}", "zh": zh, "en": en})
            conn.execute(sa.text(
                "INSERT INTO warning_events (warning_id, at, level, months_elapsed, reason_zh, "
                "reason_en, notified) VALUES ((SELECT id FROM warnings WHERE scope_id = :sid), "
                "'2024-04-01', 'red', 3, :zh, :en, false)"), {"sid": f"E{n}", "zh": zh, "en": en})
    reg.upgrade()
    with reg.engine.connect() as conn:
        for table in ("warnings", "warning_events"):
            rows = conn.execute(sa.text(
                f"SELECT reason_code, reason_params FROM {table} ORDER BY id")).all()  # noqa: S608
            assert len(rows) == len(_OLD_REASONS)
            for (code, params), (zh, en, expected) in zip(rows, _OLD_REASONS, strict=True):
                assert code == expected
                if isinstance(params, str):  # SQLite hands JSON back as text
                    params = json.loads(params)
                m = Message.from_dict({"code": code, "params": params})
                assert (render(m, "zh"), render(m, "en")) == (zh, en)
        columns = {c["name"] for c in sa.inspect(conn).get_columns("warnings")}
    assert "reason_zh" not in columns
    assert "reason_en" not in columns
    reg.dispose()


def test_0008_account_notes_become_messages():
    """An old run's English notes become messages that render the same English and, now, the
    Chinese; an unknown note is kept as it is in both languages."""
    import importlib.util
    from pathlib import Path

    from carbonpeak.i18n import Message, render

    path = (Path(__file__).resolve().parents[1] / "src" / "carbonpeak" / "storage" / "registry"
            / "migrations" / "versions" / "0008_message_codes.py")
    spec = importlib.util.spec_from_file_location("m0008", path)
    assert spec is not None
    assert spec.loader is not None
    m0008 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0008)
    old = {
        "24.8% of district energy (10,250 tce, statistics; equal value) is in this account":
            "本次核算覆盖全区综合能耗（统计数据，等价值，10,250吨标准煤）的24.8%",
        "3 entity-carrier-months have no data (flagged 'missing', not counted as zero)":
            "3个“单位·能源品种·月”无数据（标记为缺失，不按零计）",
        "factor set shanghai_local@v1 uses UNVERIFIED coefficients for: electricity/kgce_equal":
            "因子集shanghai_local@v1中以下系数未经核实：electricity/kgce_equal",
        "run 3 was made without gap filling; this run is with it":
            "核算批次3未启用缺测填补；本批次启用了",
        "gap filling on: 1,234 interval(s) of 5 meter(s) estimated by linear interpolation "
        "(gaps <= 6 h); they are in estimated_quantity, not in coverage":
            "已启用缺测填补：5块表计的1,234个时段按线性插值估算（缺口≤6小时），计入估算量，不计入覆盖率",
        "something else": "something else",
    }
    for en, zh in old.items():
        note = Message.from_dict(m0008.account_note(en))
        assert (render(note, "en"), render(note, "zh")) == (en, zh)
    assert m0008.account_note("something else")["code"] == "accounting.legacy"
