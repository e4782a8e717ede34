"""eligible counts: the denominators of the green-creation share targets (TH-47/48)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'eligible_counts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('target_code', sa.String(length=32), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('actor', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_eligible_counts_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_eligible_counts')),
        sa.UniqueConstraint('district_id', 'target_code', 'as_of',
                            name=op.f('uq_eligible_counts_district_id')),
    )
    with op.batch_alter_table('eligible_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligible_counts_district_id'), ['district_id'])


def downgrade() -> None:
    with op.batch_alter_table('eligible_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eligible_counts_district_id'))
    op.drop_table('eligible_counts')
