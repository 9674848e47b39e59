"""A new version of a process may come in a file with another name: the version follows the process id, the
file of the BPMN folder with the same process is the version being replaced (not a second definition)."""
from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from app.engine.models import ProcessDefinition

ROOT = Path(__file__).resolve().parents[2]


def versions(web, key: str) -> tuple[int, str]:
    row = web.query(select(ProcessDefinition.version, ProcessDefinition.source_name)
                    .where(ProcessDefinition.process_key == key).order_by(ProcessDefinition.version.desc()).limit(1))
    return tuple(row[0]) if row else (0, "")


def test_a_new_version_from_a_file_with_another_name(web, unique):
    source = (ROOT / "bpmn/recommendations/employment_recommendation.bpmn").read_text(encoding="utf-8")
    changed = source.replace('name="就业推荐表申请"', f'name="就业推荐表申请（{unique[:4]}版）"', 1)
    assert changed != source
    before, _name = versions(web, "employment_recommendation")
    owner = web.client("owner")
    resp = owner.post("/admin/processes", data={"bpmn": (io.BytesIO(changed.encode()), "推荐表-2026版.bpmn")},
                      content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 302, html[-3000:]
    after, name = versions(web, "employment_recommendation")
    assert after == before + 1 and name == "推荐表-2026版.bpmn"
    page = owner.get("/admin/processes").get_data(as_text=True)
    assert f"版本 {after}" in page or f"v{after}" in page
    # one process, one line of versions: no second definition appeared under the new file name
    keys = web.query(select(ProcessDefinition.process_key, func.count()).group_by(ProcessDefinition.process_key)
                     .where(ProcessDefinition.source_name == "推荐表-2026版.bpmn"))
    assert [k for k, _n in keys] == ["employment_recommendation"]
