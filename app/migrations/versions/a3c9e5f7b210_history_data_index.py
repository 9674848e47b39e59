"""history events' reportable data indexed on PostgreSQL (GIN, jsonb_path_ops, only the events that carry
data), so that the operations instance list's "a variable had this value" filter finds its instances through
the index instead of reading every instance's completion events

Revision ID: a3c9e5f7b210
Revises: e8a5c2d6b104
Create Date: 2026-11-30 18:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a3c9e5f7b210'
down_revision = 'e8a5c2d6b104'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no index for JSON containment; its filter reads the events
    op.create_index('ix_history_data', 'history_event', ['data'], postgresql_using='gin',
                    postgresql_ops={'data': 'jsonb_path_ops'}, postgresql_where=sa.text('data IS NOT NULL'))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_history_data', table_name='history_event')
