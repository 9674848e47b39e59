"""message correlation by indexed key: one row per (waiting catch, correlation key)

Revision ID: b5e2c8d41f07
Revises: ae98e1752621
Create Date: 2026-11-30 10:30:00

Replaces message_subscription (one row per waiting catch, its keys in a JSON column read and compared in
Python) with message_correlation (one row per key, indexed by message name, key and value). Waiting
catches are carried over.
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'b5e2c8d41f07'
down_revision = 'ae98e1752621'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _value(value) -> str:
    """As app.engine.messages.correlation_value (kept here: a migration must not change when the code does)."""
    text = str(value)
    if len(text) > 200:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def upgrade():
    correlation = op.create_table(
        'message_correlation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_guid', sa.String(length=36), nullable=False),
        sa.Column('message_name', sa.String(length=255), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_message_correlation_instance_id_process_instance'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_correlation')),
        sa.UniqueConstraint('instance_id', 'task_guid', 'message_name', 'key',
                            name=op.f('uq_message_correlation_instance_id_task_guid_message_name_key')),
    )
    with op.batch_alter_table('message_correlation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_correlation_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_message_correlation_lookup', ['message_name', 'key', 'value'], unique=False)

    old = sa.table('message_subscription', sa.column('instance_id', sa.Integer()), sa.column('task_guid', sa.String()),
                   sa.column('message_name', sa.String()), sa.column('correlation', _JSON))
    rows = []
    for r in op.get_bind().execute(sa.select(old)).mappings():
        keys = r['correlation'] if isinstance(r['correlation'], dict) else json.loads(r['correlation'] or '{}')
        keys = {**keys, 'instance_id': r['instance_id']}
        rows.extend(dict(instance_id=r['instance_id'], task_guid=r['task_guid'], message_name=r['message_name'],
                         key=k, value=_value(v)) for k, v in keys.items() if v is not None)
    if rows:
        op.bulk_insert(correlation, rows)

    with op.batch_alter_table('message_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_subscription_message_name'))
        batch_op.drop_index(batch_op.f('ix_message_subscription_instance_id'))
    op.drop_table('message_subscription')


def downgrade():
    op.create_table(
        'message_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_guid', sa.String(length=36), nullable=False),
        sa.Column('message_name', sa.String(length=255), nullable=False),
        sa.Column('correlation', _JSON, nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_message_subscription_instance_id_process_instance'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_subscription')),
        sa.UniqueConstraint('instance_id', 'task_guid', name=op.f('uq_message_subscription_instance_id_task_guid')),
    )
    with op.batch_alter_table('message_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_subscription_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_subscription_message_name'), ['message_name'], unique=False)
    new = sa.table('message_correlation', sa.column('instance_id', sa.Integer()), sa.column('task_guid', sa.String()),
                   sa.column('message_name', sa.String()), sa.column('key', sa.String()),
                   sa.column('value', sa.String()))
    waiting: dict[tuple, dict] = {}
    for r in op.get_bind().execute(sa.select(new)).mappings():
        waiting.setdefault((r['instance_id'], r['task_guid']), {'message_name': r['message_name']})[r['key']] = r['value']
    if waiting:
        subscription = sa.table('message_subscription', sa.column('instance_id', sa.Integer()),
                                sa.column('task_guid', sa.String()), sa.column('message_name', sa.String()),
                                sa.column('correlation', _JSON))
        op.bulk_insert(subscription, [
            dict(instance_id=i, task_guid=g, message_name=keys.pop('message_name'), correlation=keys)
            for (i, g), keys in waiting.items()])
    op.drop_table('message_correlation')
