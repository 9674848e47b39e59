"""bookings: device jobs (print at a print robot, content on a big screen) and devices' reported state

Revision ID: d7b3e1f40a21
Revises: e6b2d4f8a013
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.platform.db_types

revision = 'd7b3e1f40a21'
down_revision = 'e6b2d4f8a013'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade():
    op.create_table('booking_device_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=60), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('source', JSON, nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('device_job_id', sa.String(length=80), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('printed', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', app.platform.db_types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.platform.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['booking_resource.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('booking_device_job', schema=None) as batch_op:
        batch_op.create_index('ix_booking_device_job_device', ['device_id', 'device_job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_device_job_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_device_job_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_device_job_user_id'), ['user_id'], unique=False)
    op.create_table('booking_device_state',
    sa.Column('device_id', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('state', JSON, nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', app.platform.db_types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('device_id')
    )


def downgrade():
    op.drop_table('booking_device_state')
    with op.batch_alter_table('booking_device_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_device_job_user_id'))
        batch_op.drop_index(batch_op.f('ix_booking_device_job_status'))
        batch_op.drop_index(batch_op.f('ix_booking_device_job_resource_id'))
        batch_op.drop_index('ix_booking_device_job_device')
    op.drop_table('booking_device_job')
