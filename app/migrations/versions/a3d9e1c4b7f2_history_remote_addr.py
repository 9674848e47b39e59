"""history events record the client address of a user's action

Revision ID: a3d9e1c4b7f2
Revises: 76f485f8f35d
Create Date: 2026-11-27 09:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a3d9e1c4b7f2'
down_revision = '76f485f8f35d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_addr', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.drop_column('remote_addr')
