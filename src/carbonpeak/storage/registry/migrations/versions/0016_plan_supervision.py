"""plan supervision: responsible units, the task catalogue, dispatch rounds and submissions,
green-creation programmes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 11:09:08.507102
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispatch_rounds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('task_codes', sa.JSON(), nullable=False),
    sa.Column('target_codes', sa.JSON(), nullable=False),
    sa.Column('opened_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_dispatch_rounds_district_id_districts')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_dispatch_rounds_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_rounds')),
    sa.UniqueConstraint('district_id', 'period', name=op.f('uq_dispatch_rounds_district_id'))
    )
    with op.batch_alter_table('dispatch_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_rounds_district_id'), ['district_id'], unique=False)

    op.create_table('green_programmes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('street_code', sa.String(length=64), nullable=True),
    sa.Column('org_code', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_green_programmes_district_id_districts')),
    sa.CheckConstraint("kind IN ('low_carbon_community', 'conserving_institution', 'green_mall', 'green_school', 'demonstration')", name=op.f('ck_green_programmes_kind')),
    sa.CheckConstraint("status IN ('applied', 'approved', 'rejected')", name=op.f('ck_green_programmes_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_green_programmes')),
    sa.UniqueConstraint('district_id', 'kind', 'name', name=op.f('uq_green_programmes_district_id'))
    )
    with op.batch_alter_table('green_programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_green_programmes_district_id'), ['district_id'], unique=False)

    op.create_table('supervision_organisations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_supervision_organisations_district_id_districts')),
    sa.CheckConstraint("kind IN ('department', 'office', 'group')", name=op.f('ck_supervision_organisations_kind')),
    sa.CheckConstraint("status IN ('verified', 'secondary', 'unverified', 'user')", name=op.f('ck_supervision_organisations_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_organisations')),
    sa.UniqueConstraint('district_id', 'code', name=op.f('uq_supervision_organisations_district_id'))
    )
    with op.batch_alter_table('supervision_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_organisations_district_id'), ['district_id'], unique=False)

    op.create_table('supervision_tasks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('section', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('units_text', sa.Text(), nullable=False),
    sa.Column('lead_org', sa.String(length=64), nullable=True),
    sa.Column('supporting_orgs', sa.JSON(), nullable=False),
    sa.Column('streets', sa.Boolean(), nullable=False),
    sa.Column('milestones', sa.JSON(), nullable=False),
    sa.Column('target_codes', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_supervision_tasks_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_tasks')),
    sa.UniqueConstraint('district_id', 'code', name=op.f('uq_supervision_tasks_district_id'))
    )
    with op.batch_alter_table('supervision_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_tasks_district_id'), ['district_id'], unique=False)

    op.create_table('round_submissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=80), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.String(length=16), nullable=True),
    sa.Column('completion_pct', sa.Float(), nullable=True),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('observed_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by', sa.String(length=128), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=128), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_round_submissions_district_id_districts')),
    sa.ForeignKeyConstraint(['observation_id'], ['target_observations.id'], name=op.f('fk_round_submissions_observation_id_target_observations')),
    sa.ForeignKeyConstraint(['round_id'], ['dispatch_rounds.id'], name=op.f('fk_round_submissions_round_id_dispatch_rounds')),
    sa.CheckConstraint("status IN ('pending', 'submitted', 'accepted', 'returned')", name=op.f('ck_round_submissions_status')),
    sa.CheckConstraint("progress IN ('not_started', 'in_progress', 'completed', 'delayed')", name=op.f('ck_round_submissions_progress')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_submissions')),
    sa.UniqueConstraint('round_id', 'unit', 'item', name=op.f('uq_round_submissions_round_id'))
    )
    with op.batch_alter_table('round_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_submissions_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_submissions_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('round_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_submissions_round_id'))
        batch_op.drop_index(batch_op.f('ix_round_submissions_district_id'))

    op.drop_table('round_submissions')
    with op.batch_alter_table('supervision_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_tasks_district_id'))

    op.drop_table('supervision_tasks')
    with op.batch_alter_table('supervision_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_organisations_district_id'))

    op.drop_table('supervision_organisations')
    with op.batch_alter_table('green_programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_green_programmes_district_id'))

    op.drop_table('green_programmes')
    with op.batch_alter_table('dispatch_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_rounds_district_id'))

    op.drop_table('dispatch_rounds')
