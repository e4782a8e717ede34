"""chinese sources: a factor row's source and a factor set's description in Chinese, written
beside the English in the factor files (shown by the Chinese CLI)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 20:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('factor_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_zh', sa.Text(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('factor_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_zh', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('factor_rows', schema=None) as batch_op:
        batch_op.drop_column('source_zh')
    with op.batch_alter_table('factor_sets', schema=None) as batch_op:
        batch_op.drop_column('description_zh')
