"""reporting: annual report runs (made on the document worker)

Revision ID: d5a1c3e7f902
Revises: b92629f73cf0
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.platform.db_types

# revision identifiers, used by Alembic.
revision = 'd5a1c3e7f902'
down_revision = 'b92629f73cf0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_annual_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('at', sa.Date(), nullable=False),
    sa.Column('chapters', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('docx', sa.LargeBinary(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', app.platform.db_types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', app.platform.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_report_annual_run_created_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_annual_run'))
    )


def downgrade():
    op.drop_table('report_annual_run')
