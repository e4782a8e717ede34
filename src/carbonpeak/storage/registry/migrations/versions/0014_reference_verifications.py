"""reference verifications: an admin's citation that a reference value matches its document

``reference_verifications`` holds one row per verification of a factor row, a quota-table row
or a rule: the document (number, date, clause or page), the values checked, an optional
attached file (its name, size and sha256; the file is kept in the home), who and when, and
who withdrew it and when.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reference_verifications',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('target', sa.String(length=256), nullable=False),
        sa.Column('checked_values', sa.JSON(), nullable=False),
        sa.Column('document_no', sa.String(length=256), nullable=False),
        sa.Column('document_date', sa.Date(), nullable=False),
        sa.Column('clause', sa.String(length=256), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('file_name', sa.String(length=256), nullable=True),
        sa.Column('file_sha256', sa.String(length=64), nullable=True),
        sa.Column('file_size', sa.Integer(), nullable=True),
        sa.Column('verified_by', sa.String(length=128), nullable=False),
        sa.Column('verified_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_by', sa.String(length=128), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('factor_row', 'quota_row', 'rule')",
                           name=op.f('ck_reference_verifications_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_verifications')),
    )
    with op.batch_alter_table('reference_verifications') as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_verifications_target'), ['target'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reference_verifications') as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_verifications_target'))
    op.drop_table('reference_verifications')
