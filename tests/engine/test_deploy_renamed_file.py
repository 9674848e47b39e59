"""A new version of a process may come in a file with another name (a file renamed in git, an export from
another modeler): the version follows the process id, and the BPMN folder's file of the same process is the
version being replaced, not a second definition of it."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app import engine
from app.engine import Source
from app.engine.definitions import library_sources
from app.engine.models import ProcessDefinition
from app.platform.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def latest(key: str) -> tuple[int, str]:
    row = db.session.execute(select(ProcessDefinition.version, ProcessDefinition.source_name)
                             .where(ProcessDefinition.process_key == key, ProcessDefinition.is_test.is_(False))
                             .order_by(ProcessDefinition.version.desc()).limit(1)).first()
    return (row.version, row.source_name) if row else (0, "")


def test_a_new_version_from_a_file_with_another_name(web, unique):
    source = (ROOT / "bpmn/recommendations/employment_recommendation.bpmn").read_text(encoding="utf-8")
    changed = source.replace('id="employment_recommendation" name="就业推荐表申请"',
                             f'id="employment_recommendation" name="就业推荐表申请（{unique[:4]}版）"', 1)
    assert changed != source
    with web.app.app_context():
        try:
            before, _name = latest("employment_recommendation")
            # the BPMN folders are the library (call activities may use them): they hold the old file
            assert "employment_recommendation.bpmn" in {s.name for s in library_sources()}
            (definition,) = engine.deploy([Source("推荐表-2026版.bpmn", changed.encode())], library=library_sources())
            assert definition.process_key == "employment_recommendation"
            assert latest("employment_recommendation") == (before + 1, "推荐表-2026版.bpmn")
            assert definition.name == f"就业推荐表申请（{unique[:4]}版）"
        finally:
            # the suite shares this database: later tests start this process and expect its own name
            engine.deploy([Source("employment_recommendation.bpmn", source.encode())], library=library_sources())
            db.session.remove()
