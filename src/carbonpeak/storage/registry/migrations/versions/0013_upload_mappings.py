"""uploads in the browser: remembered column mappings, the web-form channel

``upload_mappings`` keeps a user's column mapping per file shape (kind and a hash of the
ordered headers), so the next file of that shape is mapped the same way; ``ingest_batches``
gets the channel ``web`` (a month's ledger entered in the dashboard's form).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_KINDS = ("'entities', 'meters', 'readings', 'ledger', 'statistics', 'sector_statistics', "
          "'targets', 'observations', 'budgets', 'weather', 'retrofits', 'energy_audits', "
          "'obligation_filings'")


def upgrade() -> None:
    op.create_table(
        'upload_mappings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('shape', sa.String(length=64), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name=op.f('ck_upload_mappings_kind')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_upload_mappings_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_mappings')),
        sa.UniqueConstraint('user_id', 'kind', 'shape',
                            name=op.f('uq_upload_mappings_user_id')),
    )
    with op.batch_alter_table('upload_mappings') as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_mappings_user_id'), ['user_id'],
                              unique=False)
    with op.batch_alter_table('ingest_batches') as batch_op:
        batch_op.drop_constraint(op.f('ck_ingest_batches_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ingest_batches_channel'),
                                         "channel IN ('file', 'http', 'mqtt', 'web')")


def downgrade() -> None:
    with op.batch_alter_table('ingest_batches') as batch_op:
        batch_op.drop_constraint(op.f('ck_ingest_batches_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_ingest_batches_channel'),
                                         "channel IN ('file', 'http', 'mqtt')")
    op.drop_table('upload_mappings')
