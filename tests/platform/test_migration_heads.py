"""The migrations form one line: a single head (two helpers landing a migration each must re-point the
second one's down_revision, or every database upgrade stops at 'multiple heads')."""
from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parents[2] / "app" / "migrations"


def test_one_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several heads: {heads}; point the newer migration's down_revision at the other"
