"""rooftop PV: the roof survey, the asset registry, hourly weather

``pv_roofs`` (one roof per building: area, usable share, cohort, new or existing),
``pv_sites`` (the PV installations: ratings, orientation, meter, model choices) and
``pv_weather_hours`` (measured hourly weather, mid-hour local stamps); the batch kinds
``roofs``, ``pv_sites`` and ``weather_hourly``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 11:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_OLD = ("'entities', 'meters', 'readings', 'ledger', 'statistics', 'sector_statistics', "
        "'targets', 'observations', 'budgets', 'weather', 'retrofits', 'energy_audits', "
        "'obligation_filings'")
_NEW = _OLD + ", 'roofs', 'pv_sites', 'weather_hourly'"
_COHORTS = ("'government', 'public_institution', 'school_hospital', 'commercial', "
            "'industrial', 'residential'")
_TEMP = ("'open_rack_glass_polymer', 'open_rack_glass_glass', 'close_mount_glass_glass', "
         "'insulated_back_glass_polymer'")


def _kinds(kinds: str) -> None:
    for table in ('ingest_batches', 'upload_mappings'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), f"kind IN ({kinds})")


def upgrade() -> None:
    _kinds(_NEW)
    op.create_table(
        'pv_roofs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('entity_id', sa.String(length=64), nullable=False),
        sa.Column('cohort', sa.String(length=32), nullable=False),
        sa.Column('is_new', sa.Boolean(), nullable=False),
        sa.Column('roof_area_m2', sa.Float(), nullable=False),
        sa.Column('usable_share', sa.Float(), nullable=False),
        sa.Column('not_feasible_reason', sa.Text(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=128), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"cohort IN ({_COHORTS})", name=op.f('ck_pv_roofs_cohort')),
        sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'],
                                name=op.f('fk_pv_roofs_batch_id_ingest_batches')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_pv_roofs_district_id_districts')),
        sa.ForeignKeyConstraint(['entity_id'], ['entities.id'],
                                name=op.f('fk_pv_roofs_entity_id_entities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pv_roofs')),
        sa.UniqueConstraint('district_id', 'entity_id', name=op.f('uq_pv_roofs_district_id')),
    )
    with op.batch_alter_table('pv_roofs') as batch_op:
        batch_op.create_index(batch_op.f('ix_pv_roofs_district_id'), ['district_id'])
        batch_op.create_index(batch_op.f('ix_pv_roofs_entity_id'), ['entity_id'])
    op.create_table(
        'pv_sites',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('site_id', sa.String(length=64), nullable=False),
        sa.Column('entity_id', sa.String(length=64), nullable=False),
        sa.Column('kwp_dc', sa.Float(), nullable=False),
        sa.Column('kw_ac', sa.Float(), nullable=False),
        sa.Column('tilt_deg', sa.Float(), nullable=False),
        sa.Column('azimuth_deg', sa.Float(), nullable=False),
        sa.Column('commissioned_on', sa.Date(), nullable=False),
        sa.Column('meter_id', sa.String(length=64), nullable=True),
        sa.Column('gamma_pdc', sa.Float(), nullable=True),
        sa.Column('losses_pct', sa.Float(), nullable=True),
        sa.Column('eta_inv_nom', sa.Float(), nullable=True),
        sa.Column('albedo', sa.Float(), nullable=True),
        sa.Column('temp_model', sa.String(length=32), nullable=True),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=128), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"temp_model IN ({_TEMP})", name=op.f('ck_pv_sites_temp_model')),
        sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'],
                                name=op.f('fk_pv_sites_batch_id_ingest_batches')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_pv_sites_district_id_districts')),
        sa.ForeignKeyConstraint(['entity_id'], ['entities.id'],
                                name=op.f('fk_pv_sites_entity_id_entities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pv_sites')),
        sa.UniqueConstraint('district_id', 'site_id', name=op.f('uq_pv_sites_district_id')),
    )
    with op.batch_alter_table('pv_sites') as batch_op:
        batch_op.create_index(batch_op.f('ix_pv_sites_district_id'), ['district_id'])
        batch_op.create_index(batch_op.f('ix_pv_sites_entity_id'), ['entity_id'])
    op.create_table(
        'pv_weather_hours',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('ts', sa.DateTime(), nullable=False),
        sa.Column('ghi_w_m2', sa.Float(), nullable=False),
        sa.Column('dni_w_m2', sa.Float(), nullable=True),
        sa.Column('dhi_w_m2', sa.Float(), nullable=True),
        sa.Column('temp_air_c', sa.Float(), nullable=False),
        sa.Column('wind_speed_m_s', sa.Float(), nullable=True),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'],
                                name=op.f('fk_pv_weather_hours_batch_id_ingest_batches')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_pv_weather_hours_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pv_weather_hours')),
        sa.UniqueConstraint('district_id', 'ts', name=op.f('uq_pv_weather_hours_district_id')),
    )
    with op.batch_alter_table('pv_weather_hours') as batch_op:
        batch_op.create_index(batch_op.f('ix_pv_weather_hours_district_id'), ['district_id'])
        batch_op.create_index(batch_op.f('ix_pv_weather_hours_batch_id'), ['batch_id'])


def downgrade() -> None:
    op.drop_table('pv_weather_hours')
    op.drop_table('pv_sites')
    op.drop_table('pv_roofs')
    _kinds(_OLD)
