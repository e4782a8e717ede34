"""a district's peak load statistic (最大负荷) for TH-12's share

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dr_peak_loads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('peak_mw', sa.Float(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_dr_peak_loads_district_id_districts')),
    sa.CheckConstraint("status IN ('verified', 'secondary', 'unverified', 'user')", name=op.f('ck_dr_peak_loads_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dr_peak_loads')),
    sa.UniqueConstraint('district_id', 'year', name=op.f('uq_dr_peak_loads_district_id'))
    )
    with op.batch_alter_table('dr_peak_loads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dr_peak_loads_district_id'), ['district_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dr_peak_loads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dr_peak_loads_district_id'))

    op.drop_table('dr_peak_loads')
