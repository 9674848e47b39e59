"""Importing a .bpmn file from the process library page (the one way in for files): a new process opens in the
modeler as a draft; a bad file is refused with the reason on the page and nothing stored; the old upload page
that deployed files directly is gone."""
from __future__ import annotations

import io
import uuid

from sqlalchemy import select

from app.engine.models import ProcessDefinition
from app.modeler.models import ProcessDraft
from tests.modeler import bpmn as m


def test_a_file_imported_on_the_library_page_opens_as_a_draft(web):
    owner = web.client("owner")
    key = f"imported_{uuid.uuid4().hex[:8]}"
    sent = owner.post("/modeler/import", data={"bpmn": (io.BytesIO(m.two_step(key).encode()), "实习审批.bpmn")},
                      content_type="multipart/form-data")
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/modeler/{key}/edit")
    assert web.scalar(select(ProcessDraft.revision).where(ProcessDraft.process_key == key)) == 1
    assert web.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_key == key)) is None
    assert owner.get(f"/modeler/{key}/edit").status_code == 200
    refused = owner.post("/modeler/import", data={"bpmn": (io.BytesIO(b"<html/>"), "x.bpmn")},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and 'id="import-bpmn"' in refused.get_data(as_text=True)
    assert owner.get("/admin/processes").status_code == 404
    assert 'id="import-bpmn"' in owner.get("/modeler/").get_data(as_text=True)
