"""modeler: drafts, process owners, bulk migrations; files deployed with a version; test runs

Revision ID: b7e4c2a91d30
Revises: b5e2c8d41f07
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa

from app.platform.db_types import Json, UTCDateTime

revision = 'b7e4c2a91d30'
down_revision = 'b5e2c8d41f07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_test', sa.Boolean(), nullable=False, server_default=sa.false()))
        # equal content may come back as a newer version (a rollback): no longer unique
        batch_op.drop_constraint('uq_process_definition_process_key_content_hash', type_='unique')
        batch_op.create_index('ix_process_definition_process_key_content_hash', ['process_key', 'content_hash'])
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_test', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_process_instance_is_test', ['is_test'])
    op.create_table(
        'process_definition_file',
        sa.Column('definition_id', sa.Integer(), sa.ForeignKey('process_definition.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('name', sa.String(length=255), primary_key=True),
        sa.Column('content', sa.Text(), nullable=False),
    )
    op.create_table(
        'process_draft',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('process_key', sa.String(length=255), nullable=False, unique=True),
        sa.Column('bpmn_xml', sa.Text(), nullable=False),
        sa.Column('files', Json, nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('base_definition_id', sa.Integer(), sa.ForeignKey('process_definition.id'), nullable=True),
        sa.Column('created_by', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('updated_by', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'process_owner',
        sa.Column('process_key', sa.String(length=255), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user_account.id'), primary_key=True),
        sa.Column('added_by', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('added_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_process_owner_user_id', 'process_owner', ['user_id'])
    op.create_table(
        'migration_run',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('process_key', sa.String(length=255), nullable=False),
        sa.Column('to_definition_id', sa.Integer(), sa.ForeignKey('process_definition.id'), nullable=False),
        sa.Column('instance_ids', Json, nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('migrated', Json, nullable=False),
        sa.Column('refused', Json, nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('started_by', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_migration_run_process_key', 'migration_run', ['process_key'])


def downgrade():
    op.drop_index('ix_migration_run_process_key', table_name='migration_run')
    op.drop_table('migration_run')
    op.drop_index('ix_process_owner_user_id', table_name='process_owner')
    op.drop_table('process_owner')
    op.drop_table('process_draft')
    op.drop_table('process_definition_file')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_is_test')
        batch_op.drop_column('is_test')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index('ix_process_definition_process_key_content_hash')
        batch_op.create_unique_constraint('uq_process_definition_process_key_content_hash',
                                          ['process_key', 'content_hash'])
        batch_op.drop_column('is_test')
