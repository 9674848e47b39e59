"""inbox rows say what a task is about (summary fields); what a person submitted is kept

Revision ID: c41d7e2a9b56
Revises: c3a9e5d17b42
Create Date: 2026-11-30 11:50:00

"""
from alembic import op
import sqlalchemy as sa

import app.platform.db_types
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


revision = 'c41d7e2a9b56'
down_revision = 'c3a9e5d17b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_fields', JSON, nullable=True))
    with op.batch_alter_table('open_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', JSON, nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.String(length=500), nullable=True))
    op.create_table(
        'task_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_guid', sa.String(length=36), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('task_name', sa.String(length=255), nullable=False),
        sa.Column('form_schema', sa.String(length=255), nullable=True),
        sa.Column('form_ui_schema', sa.String(length=255), nullable=True),
        sa.Column('data', JSON, nullable=False),
        sa.Column('at', app.platform.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('task_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_submission_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_submission_task_guid'), ['task_guid'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_submission_actor_id'), ['actor_id'], unique=False)


def downgrade():
    op.drop_table('task_submission')
    with op.batch_alter_table('open_task', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('summary')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('summary_fields')
