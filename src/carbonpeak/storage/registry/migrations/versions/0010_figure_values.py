"""figure_values: the figure catalogue's stored values (one figure, one definition)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SUBJECTS = "'district', 'street', 'entity'"
BASES = "'metered_account', 'statistics', 'observation', 'plan_value'"


def upgrade() -> None:
    op.create_table(
        'figure_values',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('district_id', sa.String(length=64), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('subject_type', sa.String(length=16), nullable=False),
        sa.Column('subject_id', sa.String(length=64), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('unit', sa.String(length=32), nullable=False),
        sa.Column('basis', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('provenance', sa.JSON(), nullable=False),
        sa.Column('inputs', sa.String(length=128), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"subject_type IN ({SUBJECTS})",
                           name=op.f('ck_figure_values_subject_type')),
        sa.CheckConstraint(f"basis IN ({BASES})", name=op.f('ck_figure_values_basis')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'],
                                name=op.f('fk_figure_values_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_values')),
        sa.UniqueConstraint('district_id', 'year', 'as_of', 'code', 'subject_type', 'subject_id',
                            name=op.f('uq_figure_values_district_id')),
    )
    with op.batch_alter_table('figure_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_figure_values_district_id'), ['district_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('figure_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_figure_values_district_id'))
    op.drop_table('figure_values')
