"""roles for departments, aggregators and project developers, and the organisation they act for

``users.role`` may also be ``department_officer`` (plan supervision), ``aggregator`` (the
virtual power plant) or ``project_developer`` (the project gate); ``users.org_code`` names the
department, the aggregator or the developer.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OLD = ("role IN ('district_admin', 'district_analyst', 'street_officer', 'entity_manager', "
       "'data_feeder')")
NEW = ("role IN ('district_admin', 'district_analyst', 'street_officer', 'entity_manager', "
       "'data_feeder', 'department_officer', 'aggregator', 'project_developer')")


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('org_code', sa.String(length=64), nullable=True))
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), NEW)


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), OLD)
        batch_op.drop_column('org_code')
