"""ledger remarks: the 备注 a ledger row came with, kept with its batch

``ledger_remarks`` keeps the remarks column of a ledger file or feed (the ledger template's 备注),
one row per (entity, period, carrier) and batch that brought a new remark; the lake's ledger rows
keep the quantity only.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ledger_remarks',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('entity_id', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('carrier', sa.String(length=32), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("carrier IN ('electricity', 'heat', 'natural_gas', 'diesel', "
                           "'gasoline', 'kerosene', 'fuel_oil', 'lpg', 'pv_generation')",
                           name=op.f('ck_ledger_remarks_carrier')),
        sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'],
                                name=op.f('fk_ledger_remarks_batch_id_ingest_batches')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_ledger_remarks_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_remarks')),
    )
    with op.batch_alter_table('ledger_remarks') as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_remarks_batch_id'), ['batch_id'],
                              unique=False)
        batch_op.create_index('ix_ledger_remarks_key',
                              ['district_id', 'entity_id', 'period', 'carrier'], unique=False)


def downgrade() -> None:
    op.drop_table('ledger_remarks')
