"""evidence entries sealed with a key outside the database (entry_mac)

Revision ID: c3a9e5d17b42
Revises: 8189664ec0e9
Create Date: 2026-11-30 11:40:00

Entries written before this revision are sealed here with the installation's EVIDENCE_KEY, when their
chain still verifies by its hashes: from now on an edit of any of them is caught by the seal.
"""
from alembic import op
import sqlalchemy as sa

revision = 'c3a9e5d17b42'
down_revision = '8189664ec0e9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence_entry') as batch_op:
        batch_op.add_column(sa.Column('entry_mac', sa.String(length=64), nullable=True))
    _seal_existing_entries()


def downgrade():
    with op.batch_alter_table('evidence_entry') as batch_op:
        batch_op.drop_column('entry_mac')


def _seal_existing_entries():
    from flask import current_app

    from app.agreements.chain import GENESIS, entry_hash, entry_mac

    key = current_app.config["EVIDENCE_KEY"].encode("utf-8")
    bind = op.get_bind()
    table = sa.table('evidence_entry', *(sa.column(name) for name in (
        'id', 'agreement_id', 'seq', 'at', 'actor_id', 'actor_name', 'act', 'remote_addr', 'document_sha256',
        'details', 'prev_hash', 'entry_hash', 'entry_mac')))
    rows = bind.execute(sa.select(table).order_by(table.c.agreement_id, table.c.id)).mappings().all()
    prev_by_agreement: dict = {}
    for row in rows:
        prev = prev_by_agreement.get(row['agreement_id'], GENESIS)
        entry = dict(row)
        if isinstance(entry['details'], str):
            import json
            entry['details'] = json.loads(entry['details'])
        if isinstance(entry['at'], str):
            from datetime import datetime
            entry['at'] = datetime.fromisoformat(entry['at'])
        intact = prev is not None and row['prev_hash'] == prev and entry_hash(prev, entry) == row['entry_hash']
        prev_by_agreement[row['agreement_id']] = row['entry_hash'] if intact else None
        if intact:
            bind.execute(table.update().where(table.c.id == row['id'])
                         .values(entry_mac=entry_mac(key, row['entry_hash'])))
