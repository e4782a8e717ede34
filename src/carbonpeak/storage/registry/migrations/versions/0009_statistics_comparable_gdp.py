"""district statistics: current-price GDP and the real growth rate at comparable prices

The statistics take GDP as a district's 统计公报 publishes it: the current-price GDP (当年价)
and the real growth rate over the previous year at comparable prices (按可比价格计算的增长率).
The platform chains the comparable-price series from the stated price base year; the existing
``gdp_10k_cny`` stays the GDP at comparable prices when a file gives it directly.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('district_statistics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gdp_current_10k_cny', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('gdp_real_growth_pct', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('district_statistics', schema=None) as batch_op:
        batch_op.drop_column('gdp_real_growth_pct')
        batch_op.drop_column('gdp_current_10k_cny')
