"""open tasks carry a copy of their instance's scope with their lane (open_task_scope), so the inbox's group
views find a lane's tasks of a scope value through one index

Revision ID: e8a5c2d6b104
Revises: d4f1a7c3e920
Create Date: 2026-11-30 15:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e8a5c2d6b104'
down_revision = 'd4f1a7c3e920'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'open_task_scope',
        sa.Column('open_task_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        sa.Column('lane', sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(['open_task_id'], ['open_task.id'],
                                name=op.f('fk_open_task_scope_open_task_id_open_task'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('open_task_id', 'key', name=op.f('pk_open_task_scope')),
    )
    with op.batch_alter_table('open_task_scope', schema=None) as batch_op:
        batch_op.create_index('ix_open_task_scope_lookup', ['lane', 'key', 'value', 'open_task_id'], unique=False)
    op.execute("INSERT INTO open_task_scope (open_task_id, key, value, lane) "
               "SELECT t.id, s.key, s.value, t.lane FROM open_task t JOIN instance_scope s "
               "ON s.instance_id = t.instance_id")


def downgrade():
    with op.batch_alter_table('open_task_scope', schema=None) as batch_op:
        batch_op.drop_index('ix_open_task_scope_lookup')
    op.drop_table('open_task_scope')
