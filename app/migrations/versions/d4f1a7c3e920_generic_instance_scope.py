"""instances carry a generic scope (instance_scope: key -> value) instead of college_id / employer_id columns
on process_instance and open_task; existing values are copied over (downgrade copies them back)

Revision ID: d4f1a7c3e920
Revises: d7b3e1f40a21
Create Date: 2026-11-30 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4f1a7c3e920'
down_revision = 'd7b3e1f40a21'
branch_labels = None
depends_on = None

KEYS = ('college', 'employer')


def upgrade():
    op.create_table(
        'instance_scope',
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_instance_scope_instance_id_process_instance'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id', 'key', name=op.f('pk_instance_scope')),
    )
    with op.batch_alter_table('instance_scope', schema=None) as batch_op:
        batch_op.create_index('ix_instance_scope_lookup', ['key', 'value', 'instance_id'], unique=False)
    for key in KEYS:
        op.execute(f"INSERT INTO instance_scope (instance_id, key, value) "
                   f"SELECT id, '{key}', CAST({key}_id AS VARCHAR(64)) FROM process_instance "
                   f"WHERE {key}_id IS NOT NULL")
    # recreate="never": SQLite (3.35+) drops the plain columns in place; copying the tables over would drop
    # the old ones, and with foreign keys on that deletes every row referencing them (ON DELETE CASCADE).
    with op.batch_alter_table('open_task', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_open_task_lane_college')
        batch_op.drop_index('ix_open_task_lane_employer')
        batch_op.drop_column('college_id')
        batch_op.drop_column('employer_id')
    with op.batch_alter_table('process_instance', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_college_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_employer_id'))
        batch_op.drop_column('college_id')
        batch_op.drop_column('employer_id')


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('college_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('employer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_process_instance_college_id'), ['college_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_employer_id'), ['employer_id'], unique=False)
    with op.batch_alter_table('open_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('college_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('employer_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_open_task_lane_college', ['lane', 'college_id', 'assignee_id'], unique=False)
        batch_op.create_index('ix_open_task_lane_employer', ['lane', 'employer_id', 'assignee_id'], unique=False)
    postgres = op.get_bind().dialect.name == 'postgresql'
    digits_only = "s.value !~ '[^0-9]'" if postgres else "s.value NOT GLOB '*[^0-9]*'"
    for key in KEYS:  # only values that are ids fit the old integer columns
        for table, id_column in (('process_instance', 'id'), ('open_task', 'instance_id')):
            op.execute(f"UPDATE {table} SET {key}_id = (SELECT CAST(s.value AS INTEGER) FROM instance_scope s "
                       f"WHERE s.instance_id = {table}.{id_column} AND s.key = '{key}' AND s.value <> '' "
                       f"AND {digits_only})")
    with op.batch_alter_table('instance_scope', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_scope_lookup')
    op.drop_table('instance_scope')
