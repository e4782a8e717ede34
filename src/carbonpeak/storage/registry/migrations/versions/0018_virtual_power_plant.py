"""the virtual power plant: flexible resources, demand-response events, participants

``dr_resources`` (per district, natural key resource_id; the aggregator is an org code),
``dr_events`` (programme, local window, target kW) and ``dr_participants`` (declared kW,
opt-in/opt-out); the batch kind ``dr_telemetry`` (OpenADR telemetry reports in the lake).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 11:11:41.840713
"""
import sqlalchemy as sa
from alembic import op

# the kinds after 0017 (rooftop PV's roofs, sites and hourly weather included)
_OLD_KINDS = ("'entities', 'meters', 'readings', 'ledger', 'statistics', 'sector_statistics', "
              "'targets', 'observations', 'budgets', 'weather', 'retrofits', 'energy_audits', "
              "'obligation_filings', 'roofs', 'pv_sites', 'weather_hourly'")
_NEW_KINDS = _OLD_KINDS + ", 'dr_telemetry'"


def _kinds(kinds: str) -> None:
    for table in ('ingest_batches', 'upload_mappings'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), f"kind IN ({kinds})")

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _kinds(_NEW_KINDS)
    op.create_table('dr_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('programme', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('target_kw', sa.Float(), nullable=False),
    sa.Column('baseline_method', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_dr_events_district_id_districts')),
    sa.CheckConstraint("programme IN ('invitation', 'real_time', 'frequency_regulation')", name=op.f('ck_dr_events_programme')),
    sa.CheckConstraint("baseline_method IN ('high5of10', 'last5', '10in10_adjusted', 'regression')", name=op.f('ck_dr_events_baseline_method')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dr_events')),
    sa.UniqueConstraint('district_id', 'event_id', name=op.f('uq_dr_events_district_id'))
    )
    with op.batch_alter_table('dr_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dr_events_district_id'), ['district_id'], unique=False)

    op.create_table('dr_resources',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('contracted_kw', sa.Float(), nullable=False),
    sa.Column('automated', sa.Boolean(), nullable=False),
    sa.Column('ven_id', sa.String(length=128), nullable=True),
    sa.Column('frequency_regulation', sa.Boolean(), nullable=False),
    sa.Column('meter_id', sa.String(length=64), nullable=True),
    sa.Column('aggregator', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_dr_resources_district_id_districts')),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_dr_resources_entity_id_entities')),
    sa.ForeignKeyConstraint(['meter_id'], ['meters.id'], name=op.f('fk_dr_resources_meter_id_meters')),
    sa.CheckConstraint("kind IN ('hvac', 'lighting', 'storage', 'ev_charging', 'process', 'pv_curtailment')", name=op.f('ck_dr_resources_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dr_resources')),
    sa.UniqueConstraint('district_id', 'resource_id', name=op.f('uq_dr_resources_district_id'))
    )
    with op.batch_alter_table('dr_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dr_resources_aggregator'), ['aggregator'], unique=False)
        batch_op.create_index(batch_op.f('ix_dr_resources_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dr_resources_entity_id'), ['entity_id'], unique=False)

    op.create_table('dr_participants',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('event_pk', sa.Integer(), nullable=False),
    sa.Column('resource_pk', sa.Integer(), nullable=False),
    sa.Column('declared_kw', sa.Float(), nullable=False),
    sa.Column('opt_status', sa.String(length=16), nullable=False),
    sa.Column('opt_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_dr_participants_district_id_districts')),
    sa.ForeignKeyConstraint(['event_pk'], ['dr_events.id'], name=op.f('fk_dr_participants_event_pk_dr_events')),
    sa.ForeignKeyConstraint(['resource_pk'], ['dr_resources.id'], name=op.f('fk_dr_participants_resource_pk_dr_resources')),
    sa.CheckConstraint("opt_status IN ('pending', 'opt_in', 'opt_out')", name=op.f('ck_dr_participants_opt_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dr_participants')),
    sa.UniqueConstraint('event_pk', 'resource_pk', name=op.f('uq_dr_participants_event_pk'))
    )
    with op.batch_alter_table('dr_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dr_participants_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dr_participants_event_pk'), ['event_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_dr_participants_resource_pk'), ['resource_pk'], unique=False)



def downgrade() -> None:
    _kinds(_OLD_KINDS)
    with op.batch_alter_table('dr_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dr_participants_resource_pk'))
        batch_op.drop_index(batch_op.f('ix_dr_participants_event_pk'))
        batch_op.drop_index(batch_op.f('ix_dr_participants_district_id'))

    op.drop_table('dr_participants')
    with op.batch_alter_table('dr_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dr_resources_entity_id'))
        batch_op.drop_index(batch_op.f('ix_dr_resources_district_id'))
        batch_op.drop_index(batch_op.f('ix_dr_resources_aggregator'))

    op.drop_table('dr_resources')
    with op.batch_alter_table('dr_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dr_events_district_id'))

    op.drop_table('dr_events')
