"""certificates: the generation site (plant) and whether it lies in the district

A certificate from the district's own new renewables must not be deducted twice (once as new
renewables, once as a certificate): the ledger records the plant and whether it is inside.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificates') as batch:
        batch.add_column(sa.Column('plant_id', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('plant_in_district', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('certificates') as batch:
        batch.drop_column('plant_in_district')
        batch.drop_column('plant_id')
