"""stored PV forecasts (``pv_forecasts``): one day-ahead forecast per district and day, so its
accuracy (nMAE, nRMSE) can be reported when the measured day arrives

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pv_forecasts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('stored_at', sa.DateTime(), nullable=False),
        sa.Column('weather_file', sa.String(length=256), nullable=False),
        sa.Column('weather_sha256', sa.String(length=64), nullable=False),
        sa.Column('sites', sa.Integer(), nullable=False),
        sa.Column('kw_ac', sa.Float(), nullable=False),
        sa.Column('total_kwh', sa.Float(), nullable=False),
        sa.Column('hourly', sa.JSON(), nullable=False),
        sa.Column('actor', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_pv_forecasts_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pv_forecasts')),
        sa.UniqueConstraint('district_id', 'day', name=op.f('uq_pv_forecasts_district_id')),
    )
    with op.batch_alter_table('pv_forecasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pv_forecasts_district_id'), ['district_id'])


def downgrade() -> None:
    with op.batch_alter_table('pv_forecasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pv_forecasts_district_id'))
    op.drop_table('pv_forecasts')
