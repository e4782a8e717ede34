"""plausibility: a meter's ceiling, held values, the sender of a machine batch

``meters.ceiling`` is the most one reading of the meter may hold (in its unit); ``held_values``
keeps the suspicious readings held out of the official account until an analyst confirms or
rejects them; ``ingest_batches.sender`` records the gateway that sent an MQTT batch.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'held_values',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('meter_id', sa.String(length=64), nullable=False),
        sa.Column('ts', sa.DateTime(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('reason_code', sa.String(length=64), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=128), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('held', 'confirmed', 'rejected')",
                           name=op.f('ck_held_values_status')),
        sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'],
                                name=op.f('fk_held_values_batch_id_ingest_batches')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_held_values_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_values')),
    )
    with op.batch_alter_table('held_values') as batch_op:
        batch_op.create_index(batch_op.f('ix_held_values_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_values_district_id'), ['district_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_held_values_meter_id'), ['meter_id'], unique=False)
    with op.batch_alter_table('meters') as batch_op:
        batch_op.add_column(sa.Column('ceiling', sa.Float(), nullable=True))
    with op.batch_alter_table('ingest_batches') as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ingest_batches') as batch_op:
        batch_op.drop_column('sender')
    with op.batch_alter_table('meters') as batch_op:
        batch_op.drop_column('ceiling')
    op.drop_table('held_values')
