"""a city deployment: cities, the districts their profiles list, and the city analyst

``cities`` holds a city's profile; ``districts.city_id`` names the city a district belongs to;
``users.city_id`` the city a ``city_analyst`` reads (a new member of ``users.role``).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 13:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

OLD = ("role IN ('district_admin', 'district_analyst', 'street_officer', 'entity_manager', "
       "'data_feeder', 'department_officer', 'aggregator', 'project_developer')")
NEW = ("role IN ('district_admin', 'district_analyst', 'street_officer', 'entity_manager', "
       "'data_feeder', 'department_officer', 'aggregator', 'project_developer', "
       "'city_analyst')")


def upgrade() -> None:
    op.create_table('cities',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('province', sa.String(length=64), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cities'))
    )
    with op.batch_alter_table('districts') as batch_op:
        batch_op.add_column(sa.Column('city_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_districts_city_id'), ['city_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_districts_city_id_cities'), 'cities',
                                    ['city_id'], ['id'])
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('city_id', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_city_id_cities'), 'cities',
                                    ['city_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), NEW)


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), OLD)
        batch_op.drop_constraint(batch_op.f('fk_users_city_id_cities'), type_='foreignkey')
        batch_op.drop_column('city_id')
    with op.batch_alter_table('districts') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_districts_city_id_cities'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_districts_city_id'))
        batch_op.drop_column('city_id')
    op.drop_table('cities')
