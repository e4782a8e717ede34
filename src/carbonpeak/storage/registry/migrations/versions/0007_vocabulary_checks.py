"""one vocabulary: CHECK constraints on the closed lists (statuses, levels, roles, kinds)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:00:00

The lists are those of ``carbonpeak.vocabulary`` at this revision, spelled out here so that
the migration stays what it was when the enums grow (a new member needs a new migration).
On SQLite each table is rebuilt (batch mode), with foreign keys off meanwhile: dropping a
table that others reference would fail them. ``Registry.upgrade`` runs every migration so
(and checks the foreign keys before it commits); the PRAGMAs here cover a run on its own.
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _foreign_keys("OFF")
    with op.batch_alter_table('account_runs') as batch_op:
        batch_op.create_check_constraint(op.f('ck_account_runs_engine'),
                                         "engine IN ('duckdb', 'spark')")

    with op.batch_alter_table('budgets') as batch_op:
        batch_op.create_check_constraint(op.f('ck_budgets_metric'),
                                         "metric IN ('energy_tce', 'tco2')")
        batch_op.create_check_constraint(op.f('ck_budgets_scope_type'),
                                         "scope_type IN ('district', 'street', 'entity')")
        batch_op.create_check_constraint(op.f('ck_budgets_method'),
                                         "method IN ('manual', 'intensity_path', 'baseline_share', 'intensity_benchmark', 'mixed')")

    with op.batch_alter_table('factor_rows') as batch_op:
        batch_op.create_check_constraint(op.f('ck_factor_rows_carrier'),
                                         "carrier IN ('electricity', 'heat', 'natural_gas', 'diesel', 'gasoline', 'kerosene', 'fuel_oil', 'lpg', 'pv_generation')")
        batch_op.create_check_constraint(op.f('ck_factor_rows_quantity'),
                                         "quantity IN ('kgce_equivalent', 'kgce_equal', 'tco2')")
        batch_op.create_check_constraint(op.f('ck_factor_rows_status'),
                                         "status IN ('verified', 'secondary', 'unverified', 'user')")

    with op.batch_alter_table('ingest_batches') as batch_op:
        batch_op.create_check_constraint(op.f('ck_ingest_batches_kind'),
                                         "kind IN ('entities', 'meters', 'readings', 'ledger', 'statistics', 'sector_statistics', 'targets', 'observations', 'budgets', 'weather', 'retrofits', 'energy_audits', 'obligation_filings')")
        batch_op.create_check_constraint(op.f('ck_ingest_batches_status'),
                                         "status IN ('pending', 'committed', 'no_change', 'rejected', 'failed', 'interrupted')")
        batch_op.create_check_constraint(op.f('ck_ingest_batches_channel'),
                                         "channel IN ('file', 'http', 'mqtt')")

    with op.batch_alter_table('quota_rows') as batch_op:
        batch_op.create_check_constraint(op.f('ck_quota_rows_convention'),
                                         "convention IN ('kwh_electricity', 'kgce')")
        batch_op.create_check_constraint(op.f('ck_quota_rows_status'),
                                         "status IN ('verified', 'unverified', 'provisional')")

    with op.batch_alter_table('targets') as batch_op:
        batch_op.create_check_constraint(op.f('ck_targets_scope_type'),
                                         "scope_type IN ('district', 'street', 'entity')")
        batch_op.create_check_constraint(op.f('ck_targets_kind'),
                                         "kind IN ('reduction_vs_baseline', 'share', 'count', 'cumulative', 'capacity', 'level', 'deadline', 'frequency')")

    with op.batch_alter_table('warnings') as batch_op:
        batch_op.create_check_constraint(op.f('ck_warnings_metric'),
                                         "metric IN ('energy_tce', 'tco2')")
        batch_op.create_check_constraint(op.f('ck_warnings_scope_type'),
                                         "scope_type IN ('district', 'street', 'entity')")
        batch_op.create_check_constraint(op.f('ck_warnings_level'),
                                         "level IN ('red', 'yellow', 'green', 'no_data', 'no_budget')")

    with op.batch_alter_table('entities') as batch_op:
        batch_op.create_check_constraint(op.f('ck_entities_kind'),
                                         "kind IN ('building', 'enterprise', 'public_institution')")
        batch_op.create_check_constraint(op.f('ck_entities_building_type'),
                                         "building_type IN ('office', 'hotel', 'mall', 'hospital', 'school', 'government', 'data_centre', 'mixed', 'other')")

    with op.batch_alter_table('lake_files') as batch_op:
        batch_op.create_check_constraint(op.f('ck_lake_files_status'),
                                         "status IN ('live', 'superseded')")

    with op.batch_alter_table('users') as batch_op:
        batch_op.create_check_constraint(op.f('ck_users_role'),
                                         "role IN ('district_admin', 'district_analyst', 'street_officer', 'entity_manager', 'data_feeder')")

    with op.batch_alter_table('warning_events') as batch_op:
        batch_op.create_check_constraint(op.f('ck_warning_events_level'),
                                         "level IN ('red', 'yellow', 'green', 'no_data', 'no_budget')")
        batch_op.create_check_constraint(op.f('ck_warning_events_previous_level'),
                                         "previous_level IN ('red', 'yellow', 'green', 'no_data', 'no_budget')")

    with op.batch_alter_table('energy_audits') as batch_op:
        batch_op.create_check_constraint(op.f('ck_energy_audits_kind'),
                                         "kind IN ('audit', 'diagnosis')")

    with op.batch_alter_table('meters') as batch_op:
        batch_op.create_check_constraint(op.f('ck_meters_carrier'),
                                         "carrier IN ('electricity', 'heat', 'natural_gas', 'diesel', 'gasoline', 'kerosene', 'fuel_oil', 'lpg', 'pv_generation')")
        batch_op.create_check_constraint(op.f('ck_meters_register'),
                                         "register IN ('interval', 'cumulative')")

    with op.batch_alter_table('obligation_filings') as batch_op:
        batch_op.create_check_constraint(op.f('ck_obligation_filings_obligation'),
                                         "obligation IN ('energy_report', 'ghg_report', 'saving_plan', 'energy_manager')")

    with op.batch_alter_table('quota_cases') as batch_op:
        batch_op.create_check_constraint(op.f('ck_quota_cases_class_source'),
                                         "class_source IN ('assigned', 'default')")
        batch_op.create_check_constraint(op.f('ck_quota_cases_quota_status'),
                                         "quota_status IN ('verified', 'unverified', 'provisional')")
        batch_op.create_check_constraint(op.f('ck_quota_cases_status'),
                                         "status IN ('open', 'notified', 'closed', 'escalated')")
        batch_op.create_check_constraint(op.f('ck_quota_cases_review_rating'),
                                         "review_rating IN ('meets_guide', 'meets_constraint', 'over_constraint', 'no_quota', 'no_data', 'incomplete_data')")

    with op.batch_alter_table('retrofit_projects') as batch_op:
        batch_op.create_check_constraint(op.f('ck_retrofit_projects_kind'),
                                         "kind IN ('retrofit', 'commissioning')")
        batch_op.create_check_constraint(op.f('ck_retrofit_projects_status'),
                                         "status IN ('planned', 'in_progress', 'completed')")

    with op.batch_alter_table('mv_results') as batch_op:
        batch_op.create_check_constraint(op.f('ck_mv_results_carrier'),
                                         "carrier IN ('electricity', 'heat', 'natural_gas', 'diesel', 'gasoline', 'kerosene', 'fuel_oil', 'lpg', 'pv_generation')")
        batch_op.create_check_constraint(op.f('ck_mv_results_model_type'),
                                         "model_type IN ('intercept_only', 'heating', 'cooling', 'heating_cooling')")

    _foreign_keys("ON")

def downgrade() -> None:
    _foreign_keys("OFF")
    with op.batch_alter_table('mv_results') as batch_op:
        batch_op.drop_constraint(op.f('ck_mv_results_carrier'), type_='check')
        batch_op.drop_constraint(op.f('ck_mv_results_model_type'), type_='check')

    with op.batch_alter_table('retrofit_projects') as batch_op:
        batch_op.drop_constraint(op.f('ck_retrofit_projects_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_retrofit_projects_status'), type_='check')

    with op.batch_alter_table('quota_cases') as batch_op:
        batch_op.drop_constraint(op.f('ck_quota_cases_class_source'), type_='check')
        batch_op.drop_constraint(op.f('ck_quota_cases_quota_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_quota_cases_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_quota_cases_review_rating'), type_='check')

    with op.batch_alter_table('obligation_filings') as batch_op:
        batch_op.drop_constraint(op.f('ck_obligation_filings_obligation'), type_='check')

    with op.batch_alter_table('meters') as batch_op:
        batch_op.drop_constraint(op.f('ck_meters_carrier'), type_='check')
        batch_op.drop_constraint(op.f('ck_meters_register'), type_='check')

    with op.batch_alter_table('energy_audits') as batch_op:
        batch_op.drop_constraint(op.f('ck_energy_audits_kind'), type_='check')

    with op.batch_alter_table('warning_events') as batch_op:
        batch_op.drop_constraint(op.f('ck_warning_events_level'), type_='check')
        batch_op.drop_constraint(op.f('ck_warning_events_previous_level'), type_='check')

    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')

    with op.batch_alter_table('lake_files') as batch_op:
        batch_op.drop_constraint(op.f('ck_lake_files_status'), type_='check')

    with op.batch_alter_table('entities') as batch_op:
        batch_op.drop_constraint(op.f('ck_entities_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_entities_building_type'), type_='check')

    with op.batch_alter_table('warnings') as batch_op:
        batch_op.drop_constraint(op.f('ck_warnings_metric'), type_='check')
        batch_op.drop_constraint(op.f('ck_warnings_scope_type'), type_='check')
        batch_op.drop_constraint(op.f('ck_warnings_level'), type_='check')

    with op.batch_alter_table('targets') as batch_op:
        batch_op.drop_constraint(op.f('ck_targets_scope_type'), type_='check')
        batch_op.drop_constraint(op.f('ck_targets_kind'), type_='check')

    with op.batch_alter_table('quota_rows') as batch_op:
        batch_op.drop_constraint(op.f('ck_quota_rows_convention'), type_='check')
        batch_op.drop_constraint(op.f('ck_quota_rows_status'), type_='check')

    with op.batch_alter_table('ingest_batches') as batch_op:
        batch_op.drop_constraint(op.f('ck_ingest_batches_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_ingest_batches_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_ingest_batches_channel'), type_='check')

    with op.batch_alter_table('factor_rows') as batch_op:
        batch_op.drop_constraint(op.f('ck_factor_rows_carrier'), type_='check')
        batch_op.drop_constraint(op.f('ck_factor_rows_quantity'), type_='check')
        batch_op.drop_constraint(op.f('ck_factor_rows_status'), type_='check')

    with op.batch_alter_table('budgets') as batch_op:
        batch_op.drop_constraint(op.f('ck_budgets_metric'), type_='check')
        batch_op.drop_constraint(op.f('ck_budgets_scope_type'), type_='check')
        batch_op.drop_constraint(op.f('ck_budgets_method'), type_='check')

    with op.batch_alter_table('account_runs') as batch_op:
        batch_op.drop_constraint(op.f('ck_account_runs_engine'), type_='check')
    _foreign_keys("ON")


def _foreign_keys(state: str) -> None:
    """SQLite only: foreign keys off while tables are rebuilt, then on again (both no-ops
    inside a transaction, where ``Registry.upgrade`` has turned them off already)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys = {state}")
