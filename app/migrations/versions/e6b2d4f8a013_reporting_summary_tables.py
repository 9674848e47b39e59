"""reporting: summary tables of ended instances and completed task runs (rollups)

The projection maintains them with the facts; existing facts are forgotten here (and the projection's position
with them), so that the next catch-up (periodic, or `flask reporting-rebuild`) rebuilds facts and summaries
together from the history.

Revision ID: e6b2d4f8a013
Revises: d5a1c3e7f902
Create Date: 2026-11-30 15:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e6b2d4f8a013'
down_revision = 'd5a1c3e7f902'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('report_instance_end_rollup',
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('definition_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('end_state', sa.String(length=20), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=False),
    sa.Column('cycle_bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('log_bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('sum_s', BIG, nullable=False),
    sa.Column('min_s', sa.Integer(), nullable=True),
    sa.Column('max_s', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('process_key', 'definition_id', 'end_state', 'end_day', 'cycle_bucket', 'log_bucket',
                            name=op.f('pk_report_instance_end_rollup'))
    )
    op.create_table('report_task_day_rollup',
    sa.Column('process_key', sa.String(length=255), nullable=False),
    sa.Column('task_spec_id', sa.String(length=255), nullable=False),
    sa.Column('done_day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('waiting_s', BIG, nullable=False),
    sa.Column('working_s', BIG, nullable=False),
    sa.Column('task_name', sa.String(length=255), nullable=True),
    sa.Column('lane', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('process_key', 'task_spec_id', 'done_day', name=op.f('pk_report_task_day_rollup'))
    )
    op.execute("DELETE FROM report_task_fact")
    op.execute("DELETE FROM report_instance_fact")
    op.execute("DELETE FROM report_projection WHERE name = 'history'")


def downgrade():
    op.drop_table('report_task_day_rollup')
    op.drop_table('report_instance_end_rollup')
